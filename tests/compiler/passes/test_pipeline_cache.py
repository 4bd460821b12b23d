"""The optimized-graph cache: warm starts skip the passes; bad entries warn and recompute."""

from __future__ import annotations

import glob
import warnings

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import options
from fuseflow.compiler.passes import fuse, pipeline_cache, run_pipeline
from fuseflow.compiler.plan import build_plan
from tests.helpers import run_in_new_process

PROGRAM = """
import json, warnings
import numpy as np
import fuseflow as ff
from fuseflow.compiler import passes
from fuseflow.compiler.passes import pipeline_cache

ran = []
original = passes._run_passes
def counting(*args, **kwargs):
    ran.append(1)
    return original(*args, **kwargs)
passes._run_passes = counting
w = ff.Variable(np.full((3, 2), 0.5, np.float32))
@ff.function
def train_step(x):
    y = ff.nn.relu(ff.matmul(x, w) + 1.0) * 2.0
    w.assign_sub(0.1 * ff.ones_like(w))
    return ff.reduce_sum(ff.tanh(y) * 3.0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out = [float(train_step(ff.constant(np.ones((4, 3), np.float32))).numpy()) for _ in range(2)]
print(json.dumps({"ran": len(ran), "stats": pipeline_cache.stats, "out": out,
                  "warnings": [str(w.message) for w in caught]}))
"""


@pytest.fixture(autouse=True)
def fresh_options():
    options.reset_experimental_options()
    yield
    options.reset_experimental_options()


def _entries(cache_dir) -> list[str]:
    return glob.glob(str(cache_dir / "graphs" / "*" / "*.json"))


def test_second_process_skips_the_passes_and_corruption_recomputes(tmp_path):
    first = run_in_new_process(PROGRAM, tmp_path)
    assert first["ran"] == 1 and first["stats"] == {"hits": 0, "stored": 1}
    second = run_in_new_process(PROGRAM, tmp_path)
    assert second["ran"] == 0 and second["stats"]["hits"] == 1
    assert second["out"] == first["out"]
    (path,) = _entries(tmp_path)
    with open(path, "r+b") as f:
        f.seek(80)
        f.write(b"garbage!")
    third = run_in_new_process(PROGRAM, tmp_path)
    assert third["ran"] == 1 and third["stats"]["hits"] == 0
    assert any("corrupt optimized graph" in w for w in third["warnings"])
    assert third["out"] == first["out"]


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def _mlp_graph():
    w = ff.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))

    def step(x, labels):
        with ff.GradientTape() as tape:
            logits = ff.nn.relu(ff.matmul(x, w) * 0.5 + 0.25)
            loss = ff.reduce_mean(ff.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    return trace(step, np.ones((2, 4), np.float32), np.array([0, 2], np.int32))


def _specs(graph):
    return [graph.spec(p) for p in graph.placeholders]


@pytest.mark.parametrize("make", [
    _mlp_graph,
    lambda: trace(lambda t: ff.tanh(0.5 * t + 1.0) * ff.nn.sigmoid(t) - 0.1 * t * t,
                  np.ones(8, np.float32)),
    lambda: trace(lambda t: ff.reduce_sum(ff.exp(t) * ff.constant(np.arange(6.0).reshape(2, 3)),
                                          axis=1), np.ones((2, 3))),
])
def test_loaded_graph_plans_exactly_like_the_computed_one(make, tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    graph = make()
    computed = run_pipeline(graph, cache=False)
    run_pipeline(graph)  # stores
    hits = pipeline_cache.stats["hits"]
    loaded = run_pipeline(graph)
    assert pipeline_cache.stats["hits"] == hits + 1
    assert str(loaded) == str(computed)
    assert loaded.captures == computed.captures
    assert build_plan(loaded, _specs(graph)).key_text() == \
        build_plan(computed, _specs(graph)).key_text()
    for node in loaded.nodes():
        hash(loaded.attrs(node))  # attrs stay hashable (fused bodies included)


def _key(graph):
    return pipeline_cache.pipeline_key(graph, (fuse,), True)


def _scaled(c, unary=ff.exp):
    return lambda t: unary(t) * c  # one source line for every variant


def test_key_follows_the_graph_content():
    x = np.ones((2, 3), np.float32)
    base = _key(trace(_scaled(2.0), x))
    assert _key(trace(_scaled(2.0), x)) == base
    assert _key(trace(_scaled(3.0), x)) != base  # a constant's value
    assert _key(trace(_scaled(2.0), np.ones((3, 3), np.float32))) != base
    assert _key(trace(_scaled(2.0, ff.math.log), x)) != base
    assert _key(trace(lambda t: ff.exp(t) * 2.0, x)) != base  # another user line
    graph = trace(_scaled(2.0), x)
    assert pipeline_cache.pipeline_key(graph, (), True) != base  # other passes


def test_options_change_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    graph = trace(lambda t: t + ff.exp(ff.constant(1.0)), np.ones(2, np.float32))
    assert "exp" not in _ops(run_pipeline(graph))
    options.set_experimental_options({"constant_folding": False, "remapping": False})
    assert "exp" in _ops(run_pipeline(graph))


def _ops(graph) -> set[str]:
    return {graph.op(n) for n in graph.nodes()}


def test_unreadable_entry_warns_and_recomputes(tmp_path, monkeypatch):
    from fuseflow.compiler import cache

    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    graph = trace(lambda t: ff.exp(t) * 2.0, np.ones(3, np.float32))
    want = str(run_pipeline(graph))
    (path,) = _entries(tmp_path)
    cache.write_entry(path, b'{"format": "something else"}', pipeline_cache.MAGIC)
    with pytest.warns(UserWarning, match="unreadable optimized graph"):
        assert str(run_pipeline(graph)) == want
    stored = pipeline_cache.stats["stored"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert str(run_pipeline(graph)) == want  # rewritten: a clean hit now
    assert pipeline_cache.stats["stored"] == stored


def test_explicit_passes_and_traced_runs_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    graph = trace(lambda t: ff.exp(t) * 2.0, np.ones(3, np.float32))
    run_pipeline(graph, (fuse,))
    run_pipeline(graph, trace=[])
    assert _entries(tmp_path) == []


def test_graph_json_cannot_hold_is_compiled_but_not_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))

    def step(t):
        doubled = ff.py_function(lambda a: a * 2.0, [t], ff.float32)
        return ff.exp(doubled) + 1.0

    f = ff.function(step)
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_allclose(f(ff.constant(x)).numpy(), np.exp(x * 2.0) + 1.0, rtol=1e-6)
    assert _entries(tmp_path) == []


def test_graph_with_large_constants_is_not_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pipeline_cache, "MAX_CONSTANT_BYTES", 64)
    big = np.arange(32, dtype=np.float32)
    graph = trace(lambda t: ff.exp(t) * ff.constant(big), np.ones(32, np.float32))
    assert "fused" in _ops(run_pipeline(graph))
    assert _entries(tmp_path) == []
