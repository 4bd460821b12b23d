"""conv2d and its gradients lowered natively (im2col/col2im + GEMM) agree with eager."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.lowering.conv import Im2colKernel


def conv_and_grads(x, w, strides, padding, dilations):
    with ff.GradientTape() as tape:
        tape.watch([x, w])
        y = ff.nn.conv2d(x, w, strides, padding, dilations=dilations)
        loss = ff.reduce_sum(y * y)
    dx, dw = tape.gradient(loss, [x, w])
    return y, dx, dw


GEOMETRIES = [((2, 7, 6, 3), (3, 3, 3, 4), 1, "VALID", 1),
              ((2, 7, 6, 3), (3, 3, 3, 4), 1, "SAME", 1),
              ((1, 9, 8, 2), (3, 2, 2, 5), 2, "SAME", 1),
              ((3, 9, 9, 2), (2, 3, 2, 3), 1, "VALID", 2),
              ((2, 5, 5, 1), (1, 1, 1, 2), 1, "SAME", 1)]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_conv_and_gradients_match_eager(geometry, dtype):
    x_shape, w_shape, strides, padding, dilations = geometry
    rng = np.random.default_rng(0)
    x = ff.constant(rng.standard_normal(x_shape).astype(dtype))
    w = ff.constant(rng.standard_normal(w_shape).astype(dtype))
    compiled = ff.function(lambda a, b: conv_and_grads(a, b, strides, padding, dilations),
                           jit_compile=True)
    got = compiled(x, w)
    want = conv_and_grads(x, w, strides, padding, dilations)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-5)
    run = compiled.get_concrete_function(x, w).executable()
    run([x.numpy(), w.numpy()])
    plan = run._last.plan
    assert not [s for s in plan.fallbacks if s.op.startswith("conv2d")]
    assert sum(isinstance(s, Im2colKernel) for s in plan.steps) == 3
