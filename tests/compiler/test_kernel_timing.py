"""Per-kernel timing: a timed build of the plan's entry that reads the clock after each kernel."""

from __future__ import annotations

import time

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import compile_graph
from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.executable import Runner
from fuseflow.compiler.explain import explain_timed, kernel_times
from fuseflow.compiler.lowering.module import build_module, native_steps

RNG = np.random.default_rng(0)
X = RNG.standard_normal((96, 128)).astype(np.float32)
W = RNG.standard_normal((128, 160)).astype(np.float32)


def _layer(x, w):
    return ff.reduce_sum(ff.tanh(ff.nn.relu(ff.matmul(x, w)) * 0.5), axis=1)


LAYER = ff.function(_layer)


def _compiled():
    concrete = LAYER.get_concrete_function(X, W)
    compiled = compile_graph(concrete.graph, use_disk_cache=False)
    compiled([X, W])
    return compiled


def test_timed_build_alone_reads_the_clock():
    compiled = _compiled()
    plan = compiled.runner_for([X, W]).plan
    plain, _ = build_module(get_codegen(), plan, "ff_plain_check")
    timed, _ = build_module(get_codegen(), plan, "ff_timed_check", timed=True)
    assert "clock_gettime" not in plain and "_ktimes" not in plain
    assert "clock_gettime" in timed and "ff_timed_check_ktimes" in timed


def test_timed_build_gives_the_same_results():
    compiled = _compiled()
    runner = compiled.runner_for([X, W])
    timed = Runner(compiled.optimized, runner.plan, use_disk_cache=False, timed=True)
    np.testing.assert_array_equal(timed.run([X, W])[0], runner.run([X, W])[0])


def test_kernel_times_are_positive_and_sum_within_the_call():
    compiled = _compiled()
    plan = compiled.runner_for([X, W]).plan
    timed = Runner(compiled.optimized, plan, use_disk_cache=False, timed=True)
    timed.run([X, W])
    timed.kernel_nanoseconds(reset=True)
    calls = 20
    start = time.perf_counter_ns()
    for _ in range(calls):
        timed.run([X, W])
    wall = time.perf_counter_ns() - start
    times = timed.kernel_nanoseconds()
    assert len(times) == len(native_steps(plan)) >= 2
    assert all(t > 0 for t in times)
    # every kernel's time lies inside its call; the matmul dominates this function
    assert sum(times) <= wall
    assert sum(times) >= 0.3 * wall


def test_time_kernels_names_each_native_kernel():
    compiled = _compiled()
    names = [k.name for k in native_steps(compiled.runner_for([X, W]).plan)]
    times = compiled.time_kernels([X, W], calls=3)
    assert [name for name, _ in times] == names
    assert all(us > 0 for _, us in times)


def test_untimed_runner_has_no_counters():
    compiled = _compiled()
    with pytest.raises(ValueError, match="timed build"):
        compiled.runner_for([X, W]).kernel_nanoseconds()


def test_explain_timed_fills_time_us_and_shows_a_column():
    report = explain_timed(LAYER, X, W, calls=3)
    assert all(k.time_us is not None and k.time_us > 0 for k in report.kernels)
    assert "µs" in report.text()
    assert "time_us" in report.to_dict()["kernels"][0]


def test_kernel_times_restore_the_variables_a_step_updates():
    v = ff.Variable(np.ones((4, 3), np.float32))

    def step(x):
        v.assign_sub(0.5 * ff.matmul(x, v))
        return ff.reduce_sum(v)

    x = np.eye(4, dtype=np.float32)
    times = kernel_times(ff.function(step), x, calls=4)
    assert times and all(us >= 0 for us in times.values())
    np.testing.assert_array_equal(v.numpy(), np.ones((4, 3), np.float32))


def test_kernel_times_reject_an_uncompiled_function():
    def double(x):
        return x * 2.0

    with pytest.raises(ValueError, match="compiled"):
        kernel_times(ff.function(double, jit_compile=False), X)
