"""Warm starts: a plan's module is found by the plan's key, so a hit never builds IR."""

from __future__ import annotations

import glob

import numpy as np

import fuseflow as ff
from fuseflow.compiler import cache
from fuseflow.compiler.plan import build_plan
from fuseflow.core.shape import TensorSpec
from tests.helpers import run_in_new_process

PROGRAM = """
import json
import numpy as np
import fuseflow as ff
from fuseflow.compiler import cache, executable

built = []
original = executable.build_module
def counting(*args, **kwargs):
    built.append(1)
    return original(*args, **kwargs)
executable.build_module = counting
w = ff.Variable(np.ones((3, 2), np.float32))
@ff.function
def train_step(x):
    y = ff.nn.relu(ff.matmul(x, w)) * 2.0
    w.assign_sub(0.1 * ff.ones_like(w))
    return ff.reduce_sum(y)
out = [float(train_step(ff.constant(np.ones((4, 3), np.float32))).numpy()) for _ in range(2)]
print(json.dumps({"built": len(built), "stats": cache.stats, "out": out}))
"""


def test_second_process_loads_without_building_ir(tmp_path):
    first = run_in_new_process(PROGRAM, tmp_path)
    assert first["built"] == 1 and first["stats"]["compiled"] >= 1
    second = run_in_new_process(PROGRAM, tmp_path)
    assert second["built"] == 0
    assert second["stats"]["compiled"] == 0 and second["stats"]["disk_hits"] >= 2  # plan + pool
    assert second["out"] == first["out"]
    names = [cache.read_metadata(p)["name"] for p in glob.glob(str(tmp_path / "*" / "*.o"))]
    assert "train_step" in names and "fuseflow_pool" in names


def _runner(fn, *arrays):
    compiled = ff.function(fn).get_concrete_function(*arrays).executable()
    return compiled.runner_for([np.asarray(a) for a in arrays])


def test_runner_builds_ir_only_when_inspected(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    runner = _runner(lambda x: ff.exp(x) - 7.25, np.ones(5, np.float32))
    runner._ir_text = None  # as after a cache hit
    assert runner.ir_text.startswith(f'; ModuleID = "{runner.prefix}"')
    assert f"@{runner.prefix}_seg0" in runner.ir_text or f'@"{runner.prefix}_seg0"' in \
        runner.ir_text


def test_inspecting_a_linked_plan_reuses_its_module(tmp_path, monkeypatch):
    from fuseflow.compiler.codegen import get_codegen

    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    runner = _runner(lambda x: ff.tanh(x) * 5.5, np.ones(3, np.float64))
    compiled = cache.stats["compiled"]
    assert cache.load_or_compile(get_codegen(), runner.ir_text) is runner.jit
    assert cache.stats["compiled"] == compiled


def _plan(fn, x):
    graph = ff.function(fn).get_concrete_function(x).graph
    return build_plan(graph, [TensorSpec(x.shape, ff.float32)])


def test_digest_follows_shapes_and_ops():
    x = np.ones((2, 3), np.float32)
    base = _plan(lambda v: ff.sigmoid(v) + 1.0, x).digest()
    assert _plan(lambda v: ff.sigmoid(v) + 1.0, x).digest() == base
    assert _plan(lambda v: ff.sigmoid(v) + 1.0, np.ones((3, 3), np.float32)).digest() != base
    assert _plan(lambda v: ff.tanh(v) + 1.0, x).digest() != base


def test_user_lowering_changes_the_digest():
    # a lowering defined outside fuseflow: the source digest does not cover it, the plan must
    scale = [2.0]

    def lower(b, x):
        return b.mul(x, b.const(scale[0]))

    steps = [{"not": "a kernel"}, lower]
    before = cache.lowering_digest(steps)
    assert cache.lowering_digest(steps) == before

    def other(b, x):
        return b.add(x, b.const(scale[0]))

    assert cache.lowering_digest([other]) != before
    assert cache.lowering_digest([]) == "builtin"


GEMM_PROGRAM = """
import json
import numpy as np
import fuseflow as ff
from fuseflow.compiler import cache
size = {size}
f = ff.function(lambda a, b: ff.nn.relu(ff.matmul(a, b)))
a, b = np.ones((size, 5), np.float32), np.full((5, 4), -1.0 + size, np.float32)
out = f(ff.constant(a), ff.constant(b)).numpy()
print(json.dumps({{"stats": cache.stats, "out": out.tolist()}}))
"""


def test_gemm_library_is_compiled_once_and_shared_by_later_graphs(tmp_path):
    first = run_in_new_process(GEMM_PROGRAM.format(size=3), tmp_path)
    assert first["stats"]["compiled"] >= 2  # the library, then the graph
    second = run_in_new_process(GEMM_PROGRAM.format(size=4), tmp_path)  # a new plan
    assert second["stats"]["compiled"] == 1 and second["stats"]["disk_hits"] >= 2
    assert second["out"] == [[15.0] * 4] * 4
    names = [cache.read_metadata(p)["name"] for p in glob.glob(str(tmp_path / "*" / "*.o"))]
    assert "fuseflow_gemm_float32" in names


def test_graph_modules_declare_the_gemm_drivers_without_defining_them():
    x = np.ones((4, 3), np.float32)
    text = ff.function(lambda a: ff.matmul(a, ff.transpose(a))).experimental_get_compiler_ir(
        x)(stage="llvm")
    assert "declare void @\"gemm_float32.gemm." in text
    assert "define internal void @\"gemm_float32." not in text


EXPLAIN_FIRST = """
import json
import numpy as np
import fuseflow as ff
from fuseflow.compiler import explain
f = ff.function(lambda a, b: ff.matmul(a, b) * 2.0)
a, b = np.ones((3, 4), np.float32), np.ones((4, 5), np.float32)
report = explain(f, a, b)  # links the module before any call of f has loaded the library
out = f(ff.constant(a), ff.constant(b)).numpy()
print(json.dumps({"kernels": len(report.kernels), "out": out.tolist()}))
"""


def test_explain_links_the_gemm_library_in_a_fresh_process(tmp_path):
    result = run_in_new_process(EXPLAIN_FIRST, tmp_path)
    assert result["kernels"] >= 1 and result["out"] == [[8.0] * 5] * 3
