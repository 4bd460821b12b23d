"""softmax and log_softmax over any axis lowered as native kernels agree with eager."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import explain
from fuseflow.compiler.lowering.softmax import SoftmaxKernel


@pytest.mark.parametrize("shape", [(3, 5), (1, 17), (2, 3, 4), (7,), (0, 4)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_softmax_matches_eager(shape, op, dtype):
    x = (np.random.default_rng(2).standard_normal(shape) * 20).astype(dtype)
    fn = getattr(ff.nn, op)
    compiled = ff.function(fn, jit_compile=True)
    t = ff.constant(x)
    got, want = compiled(t).numpy(), fn(t).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert op not in [f.op for f in explain(compiled, t).fallbacks]
    run = compiled.get_concrete_function(t).executable()
    run([x])
    assert any(isinstance(s, SoftmaxKernel) for s in run._last.plan.steps)


def test_softmax_keeps_inf_and_nan_semantics():
    x = np.array([[1.0, np.inf, 0.0], [np.nan, 1.0, 2.0], [-np.inf, 0.0, 1.0]], np.float32)
    compiled = ff.function(ff.nn.softmax, jit_compile=True)
    np.testing.assert_allclose(compiled(ff.constant(x)).numpy(),
                               ff.nn.softmax(ff.constant(x)).numpy(), rtol=1e-5)


@pytest.mark.parametrize("shape,axis", [((4, 3), 0), ((2, 5, 3), 1), ((3, 2, 70), 1),
                                        ((5, 130), 0), ((1, 4, 1), 1), ((2, 3, 4, 5), 1),
                                        ((3, 0, 2), 0), ((64, 40, 20), 1)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_over_another_axis_runs_natively_and_matches_eager(shape, axis, op, dtype):
    x = (np.random.default_rng(3).standard_normal(shape) * 20).astype(dtype)
    x.reshape(-1)[::7] = -np.inf if x.size else 0  # rows with -inf entries stay finite elsewhere
    fn = getattr(ff.nn, op)
    compiled = ff.function(lambda t: fn(t, axis=axis), jit_compile=True)
    t = ff.constant(x)
    got, want = compiled(t).numpy(), fn(t, axis=axis).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert op not in [f.op for f in explain(compiled, t).fallbacks]
    run = compiled.get_concrete_function(t).executable()
    run([x])
    (kernel,) = [s for s in run._last.plan.steps if isinstance(s, SoftmaxKernel)]
    assert kernel.inner == max(1, int(np.prod(shape[axis + 1:])))
