"""fold_constants on tiny graphs: op counts, numbers, untouched input, what is never folded."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.compiler.passes import eliminate_dead_code, fold_constants
from fuseflow.compiler.passes.fold_constants import MAX_FOLDED_ELEMENTS
from fuseflow.runtime.interpreter import interpret
from tests.helpers import count_ops


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def test_exp_of_constant_is_folded_and_numbers_kept():
    x = np.arange(4, dtype=np.float32)
    graph = trace(lambda t: t + ff.exp(ff.constant(2.0)) * 3.0, x)
    folded = eliminate_dead_code(fold_constants(graph))
    assert count_ops(folded)["exp"] == 0
    assert count_ops(folded)["multiply"] == 0
    assert count_ops(graph)["exp"] == 1  # the input graph is untouched
    np.testing.assert_allclose(interpret(folded, [x])[0], interpret(graph, [x])[0], rtol=1e-6)


def test_node_reading_a_placeholder_is_not_folded():
    x = np.arange(4, dtype=np.float32)
    graph = trace(lambda t: ff.exp(t), x)
    assert count_ops(fold_constants(graph))["exp"] == 1


def test_random_ops_are_never_folded():
    graph = trace(lambda t: t + ff.random.uniform([4]), np.zeros(4, np.float32))
    folded = fold_constants(graph)
    assert count_ops(folded)["random_uniform"] == 1


def test_large_results_stay_unfolded():
    n = MAX_FOLDED_ELEMENTS + 1
    graph = trace(lambda t: t + ff.exp(ff.zeros([n])), np.zeros(n, np.float32))
    assert count_ops(fold_constants(graph))["exp"] == 1


def test_small_creation_ops_fold_to_the_same_values():
    graph = trace(lambda t: t + ff.cast(ff.range(4), ff.float32), np.ones(4, np.float32))
    folded = eliminate_dead_code(fold_constants(graph))
    x = np.ones(4, np.float32)
    assert set(count_ops(folded)) <= {"placeholder", "constant", "add"}
    np.testing.assert_array_equal(interpret(folded, [x])[0], [1, 2, 3, 4])


def test_nan_and_inf_results_fold_exactly():
    x = np.zeros(2, np.float32)
    graph = trace(lambda t: t + ff.math.log(ff.constant([-1.0, 0.0])), x)
    folded = fold_constants(graph)
    assert count_ops(folded)["log"] == 0
    got = interpret(folded, [x])[0]
    assert np.isnan(got[0]) and got[1] == -np.inf
