"""Benchmark builders: every workload builds and runs in each mode and agrees with NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fuseflow.benchmarks import WORKLOADS, cnn, kernels, mlp


def test_registry_lists_w1_to_w6_with_their_baselines():
    assert sorted(WORKLOADS) == ["W1", "W2", "W3", "W4", "W5", "W6"]
    for workload in WORKLOADS.values():
        assert workload.baseline in workload.modes and "compiled" in workload.modes


@pytest.mark.parametrize("mode", ["graph", "compiled"])
def test_mlp_step_matches_numpy_over_steps(mode):
    problem = mlp.make_problem((12, 8, 4), batch=5, seed=3)
    ours, reference = mlp.fuseflow_step(problem, mode), mlp.numpy_step(problem)
    for _ in range(3):
        assert float(ours()) == pytest.approx(reference(), rel=1e-5)


@pytest.mark.parametrize("name,args", [("w4", (37,)), ("w5", (9,)), ("w6", (10,))])
@pytest.mark.parametrize("mode", ["eager", "graph", "compiled", "executable"])
def test_kernel_workloads_agree_with_numpy(name, args, mode):
    build = getattr(kernels, name)
    got = build(mode, *args)()
    got = got[0] if isinstance(got, list) else got
    want = build("numpy", *args)()
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def test_w4_pass_mode_adds_one_into_a_preallocated_array():
    run = kernels.w4("pass", 8)
    first = run()
    assert first.shape == (8,) and first.dtype == np.float32 and run() is first
    with pytest.raises(ValueError, match="unknown mode"):
        kernels.w6("fast")


def test_cnn_numpy_reference_runs_near_chance_loss():
    problem = cnn.make_problem(batch=4, seed=0)
    step = cnn.numpy_step(problem)
    losses = [step() for _ in range(3)]
    assert all(math.isfinite(v) for v in losses) and abs(losses[0] - math.log(10)) < 1.0


def test_cnn_eager_step_runs_near_chance_loss():
    loss = float(cnn.fuseflow_step(cnn.make_problem(batch=4, seed=0), "eager")())
    assert abs(loss - math.log(10)) < 1.0
