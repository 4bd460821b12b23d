"""Max and average pooling and their gradients lowered natively agree with eager."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import explain
from fuseflow.compiler.lowering.pool import PoolKernel


def pool_and_grad(x, ksize, strides, padding, pool=ff.nn.max_pool2d):
    """The pooled image and the gradient of a channel-weighted sum of it."""
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = pool(x, ksize, strides, padding)
        loss = ff.reduce_sum(y * ff.cast(ff.range(y.shape[-1]) + 1, y.dtype))
    return y, tape.gradient(loss, x)


@pytest.mark.parametrize("ksize,strides,padding", [(2, 2, "VALID"), (3, 1, "SAME"),
                                                   (2, 3, "SAME"), ((3, 2), (2, 1), "VALID")])
@pytest.mark.parametrize("special", ["none", "ties", "nan_inf"])
def test_compiled_pool_and_gradient_match_eager(ksize, strides, padding, special):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    if special == "ties":
        x = np.round(x)  # many equal maxima: the first one in the window takes the gradient
    elif special == "nan_inf":
        x[0, 1, 1, 0], x[1, 2, 3, 1], x[1, :3, :3, 2] = np.nan, np.inf, -np.inf
    compiled = ff.function(lambda t: pool_and_grad(t, ksize, strides, padding),
                           jit_compile=True)
    t = ff.constant(x)
    for got, want in zip(compiled(t), pool_and_grad(t, ksize, strides, padding)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    run = compiled.get_concrete_function(t).executable()
    run([x])
    assert sum(isinstance(s, PoolKernel) for s in run._last.plan.steps) == 2


def avg_pool_and_grad(x, ksize, strides, padding):
    return pool_and_grad(x, ksize, strides, padding, ff.nn.avg_pool2d)


def _avg_kernels(compiled, x) -> list[PoolKernel]:
    run = compiled.get_concrete_function(ff.constant(x)).executable()
    run([x])
    return [s for s in run._last.plan.steps if isinstance(s, PoolKernel) and s.reducer == "avg"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("ksize,strides", [(1, 1), (2, 2), (3, 1), (3, 2), (2, 3), ((3, 2), (2, 1)),
                                           ((5, 4), (1, 3))])
def test_compiled_avg_pool_and_gradient_match_eager(ksize, strides, padding, dtype):
    x = np.random.default_rng(2).standard_normal((2, 7, 6, 3)).astype(dtype)
    compiled = ff.function(lambda t: avg_pool_and_grad(t, ksize, strides, padding),
                           jit_compile=True)
    t = ff.constant(x)
    for got, want in zip(compiled(t), avg_pool_and_grad(t, ksize, strides, padding)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-7)
    assert len(_avg_kernels(compiled, x)) == 2
    assert not [f for f in explain(compiled, t).fallbacks if "pool" in f.op]


@pytest.mark.parametrize("shape,ksize,strides,padding", [
    ((1, 5, 5, 1), 5, 1, "VALID"),  # one window covers the whole image
    ((3, 4, 9, 2), 4, 3, "SAME"),  # windows larger than the stride, odd width
    ((1, 1, 1, 4), 3, 2, "SAME"),  # a window mostly in padding
    ((2, 6, 5, 2), 3, 1, [[0, 0], [1, 2], [2, 1], [0, 0]])])  # explicit padding
def test_avg_pool_edge_geometries_match_eager_exactly(shape, ksize, strides, padding):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    compiled = ff.function(lambda t: avg_pool_and_grad(t, ksize, strides, padding),
                           jit_compile=True)
    t = ff.constant(x)
    for got, want in zip(compiled(t), avg_pool_and_grad(t, ksize, strides, padding)):
        # taps are added in the NumPy op's order, so results agree to the bit
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("batch", [1, 3])
def test_avg_pool_split_over_threads_matches_eager(batch):
    x = np.random.default_rng(4).standard_normal((batch, 40, 36, 24)).astype(np.float32)
    compiled = ff.function(lambda t: avg_pool_and_grad(t, 3, 2, "SAME"), jit_compile=True)
    t = ff.constant(x)
    for got, want in zip(compiled(t), avg_pool_and_grad(t, 3, 2, "SAME")):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert [k.parallel for k in _avg_kernels(compiled, x)] == [batch > 1] * 2


def test_gradient_of_compiled_avg_pool_matches_eager_tape():
    x = ff.constant(np.random.default_rng(5).standard_normal((2, 6, 7, 3)).astype(np.float32))

    @ff.function(jit_compile=True)
    def pooled(t):
        return ff.reduce_sum(ff.tanh(ff.nn.avg_pool2d(t, 3, 2, "SAME")))

    with ff.GradientTape() as tape:
        tape.watch(x)
        compiled_loss = pooled(x)
    with ff.GradientTape() as eager_tape:
        eager_tape.watch(x)
        eager_loss = ff.reduce_sum(ff.tanh(ff.nn.avg_pool2d(x, 3, 2, "SAME")))
    np.testing.assert_allclose(compiled_loss.numpy(), eager_loss.numpy(), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(compiled_loss, x).numpy(),
                               eager_tape.gradient(eager_loss, x).numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape,ksize,strides", [((3, 8, 6, 37), 2, 2), ((2, 9, 6, 5), 3, 3),
                                                 ((2, 8, 6, 4), 2, 3)])
def test_max_pool_gradient_tiled_and_gapped_windows_match_eager_exactly(shape, ksize, strides):
    x = np.round(np.random.default_rng(6).standard_normal(shape)).astype(np.float32)
    x[0, 0, 0, 0] = np.nan  # ties and a NaN window (no tap receives)
    compiled = ff.function(lambda t: pool_and_grad(t, ksize, strides, "VALID"), jit_compile=True)
    t = ff.constant(x)
    for got, want in zip(compiled(t), pool_and_grad(t, ksize, strides, "VALID")):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    grad, want = compiled(t)[1].numpy(), pool_and_grad(t, ksize, strides, "VALID")[1].numpy()
    np.testing.assert_array_equal(np.signbit(grad), np.signbit(want))  # zeros untouched are +0
