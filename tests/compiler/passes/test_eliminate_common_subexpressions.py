"""eliminate_common_subexpressions on tiny graphs: op counts, numbers, untouched input."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.compiler.passes import eliminate_common_subexpressions as cse
from fuseflow.runtime.interpreter import interpret
from tests.helpers import count_ops


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def test_repeated_computation_is_shared():
    x = np.linspace(-1, 1, 6).astype(np.float32)
    graph = trace(lambda t: ff.exp(t * 2.0) + ff.exp(t * 2.0), x)
    merged = cse(graph)
    assert count_ops(merged)["exp"] == 1
    assert count_ops(merged)["multiply"] == 1
    assert count_ops(merged)["constant"] == 1  # the two 2.0 constants are one
    assert count_ops(graph)["exp"] == 2  # the input graph is untouched
    np.testing.assert_allclose(interpret(merged, [x])[0], interpret(graph, [x])[0])


def test_different_attrs_or_inputs_stay_apart():
    x = np.ones((2, 3), np.float32)
    graph = trace(lambda t: (ff.reduce_sum(t, axis=0), ff.reduce_sum(t, axis=1),
                             ff.exp(t), ff.exp(t + 1.0)), x)
    merged = cse(graph)
    assert count_ops(merged)["reduce_sum"] == 2
    assert count_ops(merged)["exp"] == 2


def test_constants_differing_in_sign_of_zero_or_dtype_stay_apart():
    x = np.ones(2, np.float32)
    graph = trace(lambda t: (t * ff.constant(0.0), t * ff.constant(-0.0),
                             ff.cast(t, ff.float64) * ff.constant(0.0, ff.float64)), x)
    assert count_ops(cse(graph))["constant"] == 3


def test_random_ops_are_never_merged():
    graph = trace(lambda t: t + ff.random.uniform([2]) - ff.random.uniform([2]),
                  np.zeros(2, np.float32))
    assert count_ops(cse(graph))["random_uniform"] == 2


def test_shared_output_keeps_both_output_positions():
    x = np.arange(3, dtype=np.float32)
    graph = trace(lambda t: (ff.square(t), ff.square(t)), x)
    merged = cse(graph)
    assert count_ops(merged)["square"] == 1
    a, b = interpret(merged, [x])
    np.testing.assert_array_equal(a, x * x)
    np.testing.assert_array_equal(b, x * x)
