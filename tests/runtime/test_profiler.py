"""`fuseflow.profiler`: compare's modes, agreement check and report; Chrome traces; Profile."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fuseflow as tf
import fuseflow.profiler as profiler
from fuseflow.graph import concrete as concrete_module


def _affine(x):
    return tf.tanh(x * 2.0) + 1.0


def _x():
    return np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)


def test_compare_reports_every_mode_with_split_and_speedup():
    report = profiler.compare(_affine, _x(), repeats=2, block_s=0.0005)
    assert [s.mode for s in report.modes] == ["eager", "graph", "compiled"]
    assert "trace" in report["graph"].phases and "trace" in report["compiled"].phases
    assert {"compile", "cache_load"} & set(report["compiled"].phases)
    assert report["eager"].speedup == pytest.approx(1.0)
    for stats in report.modes:
        assert stats.p10_us <= stats.median_us <= stats.p90_us
        assert stats.max_diff < 1e-5


def test_compare_accepts_a_decorated_function_and_a_subset_of_modes():
    report = profiler.compare(tf.function(_affine), _x(), modes=("graph", "eager"), repeats=1,
                              block_s=0.0005)
    assert [s.mode for s in report.modes] == ["graph", "eager"]


def test_compare_restores_variables_of_a_training_step():
    w = tf.Variable(np.ones((4, 2), np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.matmul(x, w))
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    profiler.compare(step, _x(), repeats=1, block_s=0.0005)
    np.testing.assert_array_equal(w.numpy(), np.ones((4, 2), np.float32))


def _broken_pass(graph):
    """Shift every constant by one: a deliberately wrong 'optimization'."""
    out = graph.copy()
    for node in out.topo_order():
        if out.op(node) == "constant":
            out.replace_with_constant(node, out.constant_value(node) + 1.0)
    return out


def test_compare_catches_a_broken_compiled_kernel(monkeypatch):
    from fuseflow.compiler import DEFAULT_PIPELINE, compile_graph

    monkeypatch.setattr(concrete_module, "_compile_graph",
                        lambda graph: compile_graph(graph, (*DEFAULT_PIPELINE, _broken_pass),
                                                    use_disk_cache=False))
    with pytest.raises(profiler.ModeMismatchError, match=r"'compiled'.*max abs diff"):
        profiler.compare(_affine, _x(), repeats=1, block_s=0.0005)


def test_compare_rejects_unknown_modes():
    with pytest.raises(ValueError, match="modes"):
        profiler.compare(_affine, _x(), modes=("eager", "xla"))


def test_report_serializes_to_dict_markdown_and_text():
    report = profiler.compare(_affine, _x(), modes=("eager", "graph"), repeats=1,
                              block_s=0.0005)
    data = json.loads(json.dumps(report.to_dict()))
    assert [m["mode"] for m in data["modes"]] == ["eager", "graph"]
    markdown = report.to_markdown()
    assert "| mode | first call |" in markdown and "| graph |" in markdown
    assert "median µs" in str(report)


def test_report_plot_writes_a_file_or_names_the_extra(tmp_path):
    report = profiler.compare(_affine, _x(), modes=("eager",), repeats=1, block_s=0.0005)
    path = tmp_path / "report.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"fuseflow\[plot\]"):
            report.plot(str(path))
    else:
        report.plot(str(path))
        assert path.stat().st_size > 0


def test_trace_records_eager_ops_graph_nodes_and_kernels(tmp_path):
    graph_fn = tf.function(_affine, jit_compile=False)
    compiled_fn = tf.function(_affine)
    x = tf.constant(_x())
    compiled_fn(x)
    original = concrete_module.ConcreteFunction.call_flat
    path = tmp_path / "trace.json"
    with profiler.trace(str(path)):
        tf.matmul(x, tf.transpose(x))
        graph_fn(x)
        graph_fn(x)
        compiled_fn(x)
    assert concrete_module.ConcreteFunction.call_flat is original
    events = json.loads(path.read_text())["traceEvents"]
    categories = {e["cat"] for e in events}
    assert {"eager_op", "graph_node", "graph_call", "compiled_call",
            "compiled_kernel"} <= categories
    assert any(e["cat"] == "eager_op" and e["name"] == "matmul" for e in events)
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in events)


def test_trace_leaves_results_unchanged():
    fn = tf.function(_affine, jit_compile=False)
    x = tf.constant(_x())
    expected = fn(x).numpy()
    with profiler.trace() as recorder:
        got = fn(x).numpy()
    np.testing.assert_array_equal(got, expected)
    assert recorder.events
    assert fn(x).numpy().tolist() == expected.tolist()


def test_profile_callback_splits_fit_time():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.layers.Input((4,)), tf.keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    lines = []
    profile = profiler.Profile(print_fn=lines.append)
    x, y = np.ones((16, 4), np.float32), np.zeros((16, 2), np.float32)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[profile])
    assert profile.steps == 8
    seconds = profile.seconds
    assert seconds["step"] > 0 and seconds["data"] >= 0 and seconds["setup"] >= 0
    assert seconds["total"] >= seconds["step"] + seconds["data"] - 1e-9
    assert "µs per step" in lines[0] and "data" in lines[0]


def test_compare_times_each_compiled_kernel():
    x = np.random.default_rng(1).standard_normal((64, 96)).astype(np.float32)
    w = np.random.default_rng(2).standard_normal((96, 80)).astype(np.float32)
    report = profiler.compare(lambda x, w: tf.nn.relu(tf.matmul(x, w)), x, w,
                              modes=("graph", "compiled"), repeats=1, block_s=0.0005, rtol=1e-4,
                              atol=1e-4)
    kernels = report["compiled"].kernels
    assert kernels and all(k.time_us is not None and k.time_us > 0 for k in kernels)
    matmul = next(k for k in kernels if "matmul" in k.ops)
    assert matmul.gflops > 0 and matmul.gbps > 0
    assert "GFLOP/s" in str(report)
