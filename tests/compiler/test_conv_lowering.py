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
    im2cols = [s for s in plan.steps if isinstance(s, Im2colKernel)]
    # the filter gradient reuses the forward conv's im2col matrix; col2im is the third
    assert [k.gather for k in im2cols] == [True, False]


@pytest.mark.parametrize("parts", [(4,), (2,), (3,)])
def test_filter_gradient_split_over_row_blocks_matches_eager(monkeypatch, parts):
    from fuseflow.compiler.lowering import conv
    from fuseflow.compiler.lowering.reduction import ReductionKernel

    monkeypatch.setattr(conv, "K_SPLIT_PARTS", parts)
    monkeypatch.setattr(conv, "K_SPLIT_MIN_ROWS", 4)
    rng = np.random.default_rng(1)
    x = ff.constant(rng.standard_normal((2, 7, 6, 3)).astype(np.float32))  # 2*5*4 = 40 rows
    w = ff.constant(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
    compiled = ff.function(lambda a, b: conv_and_grads(a, b, 1, "VALID", 1), jit_compile=True)
    got, want = compiled(x, w), conv_and_grads(x, w, 1, "VALID", 1)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-5)
    run = compiled.get_concrete_function(x, w).executable()
    run([x.numpy(), w.numpy()])
    sums = [s for s in run._last.plan.steps if isinstance(s, ReductionKernel)
            and s.name.endswith("filter_grad_sum")]
    assert [s.r for s in sums] == ([] if 40 % parts[0] else [parts[0]])
