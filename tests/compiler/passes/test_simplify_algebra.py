"""simplify_algebra on tiny graphs: each rule fires, keeps exact values, and knows its limits."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.passes import eliminate_dead_code, simplify_algebra
from fuseflow.runtime.interpreter import interpret
from tests.helpers import count_ops

SPECIAL = np.array([1.5, -0.0, np.nan, np.inf, -np.inf, 0.0], np.float32)


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def _check(fn, removed: str, x=SPECIAL):
    graph = trace(fn, x)
    before = count_ops(graph)[removed]
    # the inputs a rule bypasses are left for DCE to drop
    simple = eliminate_dead_code(simplify_algebra(graph))
    assert count_ops(simple)[removed] < before
    assert count_ops(graph)[removed] == before  # the input graph is untouched
    got, want = interpret(simple, [x])[0], interpret(graph, [x])[0]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)  # NaN positions must match too
    return simple


@pytest.mark.parametrize("fn, removed", [
    (lambda t: t * 1.0, "multiply"),
    (lambda t: 1.0 * t, "multiply"),
    (lambda t: t - 0.0, "subtract"),
    (lambda t: t / 1.0, "divide"),
    (lambda t: ff.negative(ff.negative(t)), "negative"),
    (lambda t: ff.identity(t), "identity"),
    (lambda t: ff.stop_gradient(t), "stop_gradient"),
    (lambda t: ff.broadcast_to(t, [6]), "broadcast_to"),
], ids=["x*1", "1*x", "x-0", "x/1", "neg-neg", "identity", "stop_gradient", "broadcast-noop"])
def test_rule_removes_a_no_op(fn, removed):
    _check(fn, removed)


def test_add_zero_is_removed_and_values_compare_equal():
    x = np.array([1.5, np.nan, np.inf], np.float32)
    _check(lambda t: t + 0.0, "add", x)


def test_double_transpose_with_inverse_perms_vanishes():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    simple = _check(lambda t: ff.transpose(ff.transpose(t, [1, 2, 0]), [2, 0, 1]), "transpose", x)
    assert count_ops(simple)["transpose"] == 0


def test_double_transpose_composes_into_one():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    simple = _check(lambda t: ff.transpose(ff.transpose(t, [1, 0, 2]), [0, 2, 1]), "transpose", x)
    assert count_ops(simple)["transpose"] == 1


def test_reshape_of_reshape_becomes_one_and_round_trip_vanishes():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    simple = _check(lambda t: ff.reshape(ff.reshape(t, [2, 6]), [6, 2]), "reshape", x)
    assert count_ops(simple)["reshape"] == 1
    simple = _check(lambda t: ff.reshape(ff.reshape(t, [2, 6]), [3, 4]), "reshape", x)
    assert count_ops(simple)["reshape"] == 0


def test_integer_x_minus_x_is_zero():
    x = np.array([3, -7, 0], np.int32)
    simple = _check(lambda t: t - t, "subtract", x)
    assert count_ops(simple)["subtract"] == 0


@pytest.mark.parametrize("fn", [
    lambda t: t * 0.0,  # NaN * 0 is NaN
    lambda t: t - t,  # inf - inf is NaN
    lambda t: ff.exp(ff.math.log(t)),  # not exact in floating point
    lambda t: t * ff.constant(np.ones((2, 6), np.float32)),  # it broadcasts x to a new shape
], ids=["x*0", "float x-x", "exp-log", "broadcasting-one"])
def test_unsafe_rewrites_are_not_made(fn):
    graph = trace(fn, SPECIAL)
    simple = simplify_algebra(graph)
    assert count_ops(simple) == count_ops(graph)


def _trace_unknown(ones_shape, x_shape):
    ones = np.ones(ones_shape, np.float32)
    return ff.function(lambda t: t * ff.constant(ones)).get_concrete_function(
        ff.TensorSpec(x_shape, ff.float32)).graph


def test_multiply_by_one_that_broadcasts_an_unknown_dim_stays():
    graph = _trace_unknown((1, 3), [None, 3])
    assert count_ops(simplify_algebra(graph))["multiply"] == 0
    graph = _trace_unknown((2, 1), [None, 1])
    assert count_ops(simplify_algebra(graph))["multiply"] == 1  # [?,1] may become [2,1]


def test_chain_of_no_ops_collapses_to_the_input():
    x = np.arange(6, dtype=np.float32)
    simple = _check(lambda t: ff.negative(ff.negative(ff.identity(t) * 1.0 + 0.0)) / 1.0,
                    "multiply", x)
    assert set(count_ops(simple)) <= {"placeholder", "constant"}
