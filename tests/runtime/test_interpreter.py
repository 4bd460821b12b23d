"""The graph interpreter: random graphs agree with eager; errors name the node and the line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuseflow as ff
from fuseflow.core.shape import TensorSpec
from fuseflow.graph import Graph
from fuseflow.runtime.interpreter import Interpreter, interpret

UNARY = [ff.tanh, ff.exp, ff.negative, ff.nn.relu, lambda x: ff.reduce_sum(x, axis=-1,
                                                                           keepdims=True)]
BINARY = [ff.add, ff.subtract, ff.multiply, ff.maximum]


@st.composite
def programs(draw):
    """A random straight-line program over 2 inputs: list of (op kind, fn index, operands)."""
    steps = []
    for k in range(draw(st.integers(1, 8))):
        count = 2 + k
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(UNARY) - 1)),
                          (draw(st.integers(0, count - 1)),)))
        else:
            steps.append(("b", draw(st.integers(0, len(BINARY) - 1)),
                          (draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1)))))
    return steps


def _run(steps, x, y):
    values = [x, y]
    for kind, index, operands in steps:
        fn = UNARY[index] if kind == "u" else BINARY[index]
        values.append(fn(*(values[i] for i in operands)))
    return ff.tanh(values[-1]), values[-2]


@settings(max_examples=40, deadline=None)
@given(programs(), st.sampled_from([(3, 4), (1, 4), (4,)]))
def test_random_graphs_agree_with_eager(steps, shape):
    rng = np.random.default_rng(0)
    x = ff.constant(rng.uniform(-1, 1, (3, 4)).astype(np.float32))
    y = ff.constant(rng.uniform(-1, 1, shape).astype(np.float32))
    want = _run(steps, x, y)
    got = ff.function(lambda a, b: _run(steps, a, b), jit_compile=False)(x, y)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)


def test_interpreter_runs_hand_built_graph_with_multi_output_and_dead_node():
    graph = Graph("h")
    x = graph.add_placeholder(TensorSpec((4,), ff.float32), "x")
    parts = graph.add_node("split", [x], {"sizes": (2, 2), "num": 2, "axis": 0},
                           (TensorSpec((2,), ff.float32), TensorSpec((2,), ff.float32)))
    graph.add_node("exp", [x], {}, TensorSpec((4,), ff.float32))  # dead: never runs
    total = graph.add_node("add", [(parts, 0), (parts, 1)], {}, TensorSpec((2,), ff.float32))
    graph.outputs = [(total, 0), (parts, 1)]
    out = Interpreter(graph)([np.arange(4, dtype=np.float32)])
    np.testing.assert_array_equal(out[0], [2.0, 4.0])
    np.testing.assert_array_equal(out[1], [2.0, 3.0])


def test_runtime_error_names_op_node_and_source_line():
    f = ff.function(lambda a, b: a + b, input_signature=[TensorSpec([None]), TensorSpec([None])],
                    jit_compile=False)
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"add.*node %2") as info:
        f(ff.constant([1.0, 2.0]), ff.constant([1.0, 2.0, 3.0]))
    assert "test_interpreter.py" in str(info.value)


def test_variables_written_through_captures():
    v = ff.Variable([1.0, 1.0])
    graph = ff.function(lambda x: v.assign_add(x)).get_concrete_function(
        ff.TensorSpec([2])).graph
    for _ in range(3):
        interpret(graph, [np.ones(2, np.float32)])
    np.testing.assert_array_equal(v.numpy(), [4.0, 4.0])
