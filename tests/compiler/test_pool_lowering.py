"""max_pool2d and its gradient lowered natively agree with eager, ties and NaN included."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.lowering.pool import MaxPoolKernel


def pool_and_grad(x, ksize, strides, padding):
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.nn.max_pool2d(x, ksize, strides, padding)
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
    assert sum(isinstance(s, MaxPoolKernel) for s in run._last.plan.steps) == 2
