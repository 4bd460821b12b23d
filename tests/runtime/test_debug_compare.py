"""debug_compare: compiled calls checked against graph mode, naming the first differing node."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.passes import DEFAULT_PIPELINE
from fuseflow.runtime.debug_compare import (
    CompiledMismatchError,
    DebugCompared,
    debug_compare,
    debug_compare_enabled,
)


@pytest.fixture
def checking():
    debug_compare(True)
    yield
    debug_compare(False)


def multiply_by_three(graph):
    """A deliberately wrong pass: the first multiply's constant operand becomes 3."""
    out = graph.copy()
    node = next(n for n in out.topo_order() if out.op(n) == "multiply")
    three = out.add_constant(np.float32(3.0))
    wrong = out.add_node("multiply", [out.input_edges(node)[0], three], {}, out.spec(node),
                         source=out.source(node))
    out.replace_all_uses(node, wrong)
    out.remove_node(node)
    return out


def _body(x):
    return ff.exp(x * 2.0) + 1.0


X = ff.constant(np.linspace(-1, 1, 5).astype(np.float32))


def test_broken_pass_is_caught_and_named(checking):
    f = ff.function(_body, passes=(multiply_by_three, *DEFAULT_PIPELINE))
    with pytest.raises(CompiledMismatchError) as caught:
        f(X)
    error = caught.value
    assert error.pass_name == "pass multiply_by_three"
    assert error.op == "exp"  # the first node whose value differs
    assert "test_debug_compare.py" in str(error)  # the user's line
    assert error.max_abs > 0 and "max rel diff" in str(error)


def test_without_the_switch_the_broken_pass_goes_unnoticed():
    f = ff.function(_body, passes=(multiply_by_three, *DEFAULT_PIPELINE))
    assert not debug_compare_enabled()
    assert not np.allclose(f(X).numpy(), _body(X).numpy())


def test_switching_on_after_the_first_call_checks_later_calls():
    f = ff.function(_body, passes=(multiply_by_three, *DEFAULT_PIPELINE))
    f(X)
    f(X)  # the fast path is in place now
    debug_compare(True)
    try:
        with pytest.raises(CompiledMismatchError):
            f(X)
    finally:
        debug_compare(False)


def test_correct_functions_with_variables_and_randomness_pass(checking):
    v = ff.Variable(np.ones(3, np.float32))

    @ff.function
    def step(x):
        v.assign_add(x * 2.0)
        return ff.reduce_sum(v) + ff.random.uniform([]) * 0.0

    x = ff.constant(np.ones(3, np.float32))
    step(x)
    step(x)
    np.testing.assert_allclose(v.numpy(), [5.0, 5.0, 5.0])  # each update applied once


def test_wrong_native_result_is_blamed_on_the_kernel():
    graph = ff.function(_body).get_concrete_function(X).graph
    checked = DebugCompared(graph, lambda args: [np.full(5, 7.0, np.float32)], passes=())
    with pytest.raises(CompiledMismatchError, match="native kernel") as caught:
        checked([X.numpy()])
    assert caught.value.op == "add"


def test_nan_in_both_modes_is_not_a_mismatch(checking):
    f = ff.function(lambda x: ff.math.log(x) * 2.0)
    out = f(ff.constant(np.array([-1.0, 1.0], np.float32))).numpy()
    assert np.isnan(out[0]) and out[1] == 0.0
