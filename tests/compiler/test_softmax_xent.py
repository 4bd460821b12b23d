"""Sparse softmax cross-entropy and its gradient as native kernels (no NumPy fallback)."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.lowering.softmax import SoftmaxXentKernel
from fuseflow.core.errors import InvalidArgumentError


def loss_and_grad(labels, logits):
    with ff.GradientTape() as tape:
        tape.watch(logits)
        loss = ff.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        weighted = ff.reduce_sum(loss * ff.cast(ff.range(loss.shape[0]) + 1, loss.dtype))
    return loss, tape.gradient(weighted, logits)


COMPILED = ff.function(loss_and_grad, jit_compile=True)


def _inputs(rows, classes, dtype, label_dtype, seed=0):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((rows, classes)) * 5).astype(dtype)
    labels = rng.integers(0, classes, rows).astype(label_dtype)
    return ff.constant(labels), ff.constant(logits)


@pytest.mark.parametrize("rows,classes", [(1, 1), (5, 7), (33, 10), (300, 130)])
@pytest.mark.parametrize("dtype,label_dtype", [(np.float32, np.int32), (np.float64, np.int64)])
def test_compiled_matches_eager(rows, classes, dtype, label_dtype):
    labels, logits = _inputs(rows, classes, dtype, label_dtype)
    got = [t.numpy() for t in COMPILED(labels, logits)]
    want = [t.numpy() for t in loss_and_grad(labels, logits)]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_both_ops_run_natively():
    labels, logits = _inputs(4, 3, np.float32, np.int32)
    concrete = COMPILED.get_concrete_function(labels, logits)
    run = concrete.executable()
    run([labels.numpy(), logits.numpy()])
    plan = run._last.plan
    kernels = [s for s in plan.steps if isinstance(s, SoftmaxXentKernel)]
    assert plan.fallbacks == [] and {k.g is None for k in kernels} == {True, False}


@pytest.mark.parametrize("bad", [3, -1, 2**31 - 1])
def test_label_out_of_range_is_an_error_then_good_calls_work(bad):
    labels, logits = _inputs(4, 3, np.float32, np.int32)
    wrong = labels.numpy().copy()
    wrong[2] = bad
    with pytest.raises(InvalidArgumentError, match="outside the valid range"):
        COMPILED(ff.constant(wrong), logits)
    got = COMPILED(labels, logits)[0].numpy()
    np.testing.assert_allclose(got, loss_and_grad(labels, logits)[0].numpy(), rtol=1e-5)


def test_nan_and_inf_logits_propagate_like_eager():
    labels = ff.constant(np.array([0, 1, 2], np.int32))
    logits = ff.constant(np.array([[np.nan, 0, 1], [np.inf, 0, 1], [-np.inf, 0, 1]],
                                  np.float32))
    got = [t.numpy() for t in COMPILED(labels, logits)]
    want = [t.numpy() for t in loss_and_grad(labels, logits)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
