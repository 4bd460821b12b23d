"""fuse on tiny graphs: groups, stops, numbers unchanged, input untouched."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.compiler.passes import fuse
from fuseflow.runtime.interpreter import interpret
from tests.helpers import count_ops


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def test_elementwise_chain_becomes_one_fused_node():
    x = np.linspace(-2, 2, 8).astype(np.float32)
    graph = trace(lambda t: ff.tanh(0.5 * t + 1.0) * ff.nn.sigmoid(t) - 0.1 * t * t, x)
    fused = fuse(graph)
    counts = count_ops(fused)
    assert counts["fused"] == 1
    assert counts["tanh"] == counts["multiply"] == 0
    assert count_ops(graph)["tanh"] == 1  # the input graph is untouched
    np.testing.assert_allclose(interpret(fused, [x])[0], interpret(graph, [x])[0], rtol=1e-6)


def test_value_with_a_reader_outside_the_group_stops_fusion():
    x = np.ones((4, 3), np.float32)
    graph = trace(lambda t: (ff.exp(t) * 2.0, ff.reduce_sum(ff.exp(t) * 2.0)), x)
    fused = fuse(graph)
    # exp*2 feeds an output and a reduction: it is a group of its own, not duplicated
    assert count_ops(fused)["fused"] <= 2
    for got, want in zip(interpret(fused, [x]), interpret(graph, [x])):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_shape_change_stops_fusion():
    x = np.ones((4, 3), np.float32)
    b = np.ones((3,), np.float32)
    graph = trace(lambda t, c: ff.exp(c * 2.0) + t, x, b)
    fused = fuse(graph)
    # c * 2 has shape (3,), the sum (4, 3): two groups would need a broadcast inside a kernel
    assert count_ops(fused)["fused"] == 1
    assert count_ops(fused)["add"] == 1  # the add stays outside: its producer is smaller
    np.testing.assert_allclose(interpret(fused, [x, b])[0], interpret(graph, [x, b])[0])


def _trace_specs(fn, *specs):
    return ff.function(fn, jit_compile=False).get_concrete_function(*specs).graph


def test_unknown_batch_fuses_when_only_one_input_carries_it():
    graph = _trace_specs(lambda x, b: ff.nn.relu(ff.nn.bias_add(x, b)),
                         ff.TensorSpec([None, 4], ff.float32), ff.TensorSpec([4], ff.float32))
    assert count_ops(fuse(graph))["fused"] == 1


def test_unknown_batch_on_both_inputs_may_broadcast_so_it_stops_fusion():
    graph = _trace_specs(lambda x, y: ff.exp(x) * y, ff.TensorSpec([None, 4], ff.float32),
                         ff.TensorSpec([None, 4], ff.float32))
    fused = fuse(graph)
    assert count_ops(fused)["exp"] == 1  # x may have 1 row while y has n: exp stays apart
    x, y = np.ones((1, 4), np.float32), np.full((3, 4), 2.0, np.float32)
    np.testing.assert_allclose(interpret(fused, [x, y])[0], np.exp(x) * y, rtol=1e-6)
