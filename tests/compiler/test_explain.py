"""explain: fused kernels named after their ops, source lines, fallbacks, boundaries, timings."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.explain import estimate_flops, explain
from fuseflow.compiler.plan import concrete_specs


def _step(x, w, b):
    h = ff.nn.relu(ff.matmul(x, w) + b)
    positive = ff.boolean_mask(h, h > 0.5)  # data-dependent shape: always NumPy
    return ff.reduce_sum(h, axis=1), positive


ARGS = (np.ones((4, 3), np.float32), np.ones((3, 5), np.float32), np.zeros(5, np.float32))


@pytest.fixture(scope="module")
def report():
    return explain(ff.function(_step), *ARGS)


def test_kernels_are_named_after_their_ops_with_sources(report):
    names = [k.name for k in report.kernels]
    assert "matmul" in " ".join(names)
    fused = [k for k in report.kernels if k.name.startswith("fused_")]
    assert fused, names
    assert "relu" in fused[0].ops
    assert all("test_explain.py:" in s for s in fused[0].sources)


def test_matmul_flops_are_estimated_as_2mnk(report):
    matmul = next(k for k in report.kernels if "matmul" in k.ops)
    assert matmul.flops >= 2 * 4 * 5 * 3
    assert matmul.bytes >= (4 * 3 + 3 * 5 + 4 * 5) * 4


def test_fallbacks_name_the_op_and_why(report):
    ops = {f.op for f in report.fallbacks}
    assert "boolean_mask" in ops
    assert all(f.reason for f in report.fallbacks)


def test_boundaries_give_a_reason_for_each_cut(report):
    reasons = " | ".join(b.reason for b in report.boundaries)
    assert "second consumer" in reasons or "opaque op" in reasons
    assert all(b.reason for b in report.boundaries)


def test_timings_cover_each_phase(report):
    assert {"trace", "optimize", "lower", "llvm", "cache"} <= set(report.timings)
    assert all(seconds >= 0 for seconds in report.timings.values())
    assert report.cache in ("compiled", "disk", "memory")


def test_text_is_a_table_of_kernels_and_fallbacks(report):
    text = str(report)
    assert "kernel" in text and "est. FLOPs" in text
    assert "fused_" in text and "boolean_mask" in text
    assert "times:" in text


def test_to_dict_is_plain_json_data(report):
    data = json.loads(json.dumps(report.to_dict()))
    assert data["kernels"] and data["fallbacks"]
    assert {"name", "ops", "sources", "flops", "bytes"} <= set(data["kernels"][0])


def test_plain_python_function_and_concrete_function_are_accepted():
    assert explain(lambda x: ff.exp(x) * 2.0, np.ones(3, np.float32)).kernels
    concrete = ff.function(lambda x: ff.exp(x) * 2.0).get_concrete_function(
        ff.constant(np.ones(3, np.float32)))
    assert explain(concrete).kernels[0].name == "fused_exp_multiply"


def test_reduction_over_another_axis_is_a_stated_boundary():
    report = explain(lambda x: ff.reduce_sum(ff.reduce_max(x, axis=2), axis=0),
                     np.ones((3, 4, 5), np.float32))
    assert any("reduction over another axis" in b.reason for b in report.boundaries)


def test_a_training_step_with_variable_updates_is_explained():
    w = ff.Variable(np.ones((3, 2), np.float32))

    @ff.function
    def train(x):
        with ff.GradientTape() as tape:
            loss = ff.reduce_sum(ff.matmul(x, w) ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    kernels = explain(train, np.ones((4, 3), np.float32)).kernels
    update = [k for k in kernels if "assign_sub" in k.ops]
    assert update and update[0].shape == ()  # the update writes state and returns nothing



@pytest.mark.parametrize("depthwise", [False, True])
def test_conv_flops_count_two_per_tap_for_the_conv_and_both_gradients(depthwise):
    x = ff.TensorSpec((2, 6, 6, 3), ff.float32)
    w = ff.TensorSpec((3, 3, 3, 4), ff.float32)
    conv = ff.nn.depthwise_conv2d if depthwise else ff.nn.conv2d
    strides = [1, 1, 1, 1] if depthwise else 1

    def step(x, w):
        with ff.GradientTape() as tape:
            tape.watch([x, w])
            y = conv(x, w, strides, "VALID")
        return tape.gradient(y, [x, w])

    graph = ff.function(step).get_concrete_function(x, w).graph
    specs = concrete_specs(graph, [x, w])
    out_channels, taps = (12, 3 * 3) if depthwise else (4, 3 * 3 * 3)
    want = 2 * (2 * 4 * 4 * out_channels) * taps
    convs = [n for n in graph.nx.nodes if "conv2d" in graph.op(n)]
    assert len(convs) == 3  # the forward conv and its two gradients
    for node in convs:
        assert estimate_flops(graph, specs, node, [graph.op(node)]) == want, graph.op(node)
