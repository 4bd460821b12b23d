"""Fused cross-entropy ops: sparse softmax, dense softmax and sigmoid cross-entropy on logits.

Each is one op so the forward pass computes exp once and stays numerically stable; the
gradients are written with public ops (softmax, log_softmax, the sparse backprop op).
"""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops import elementwise as ew
from fuseflow.core.ops._helpers import FLOATS, INTS, binary_operands, check_dtype
from fuseflow.core.ops.nn import softmax_vjp
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

_SPARSE = "sparse_softmax_cross_entropy_with_logits"
_SPARSE_GRAD = "sparse_softmax_cross_entropy_with_logits_grad"


def _expand_last(g: Tensor, axis: int = -1) -> Tensor:
    from fuseflow.core.ops.movement import expand_dims

    return expand_dims(g, axis)


# -- sparse softmax cross-entropy -----------------------------------------------------------------

def _check_sparse(op: str, labels: TensorSpec, logits: TensorSpec) -> None:
    check_dtype(op, labels, INTS, "labels")
    check_dtype(op, logits, FLOATS, "logits")
    if logits.rank < 1 or labels.rank != logits.rank - 1 or any(
            a is not None and b is not None and a != b
            for a, b in zip(labels.shape, logits.shape[:-1])):
        raise InvalidArgumentError(op, f"labels must have the shape of logits without its last "
                                   f"dimension: logits {list(logits.shape)}, labels "
                                   f"{list(labels.shape)}")


def _sparse_infer(labels: TensorSpec, logits: TensorSpec) -> TensorSpec:
    _check_sparse(_SPARSE, labels, logits)
    return TensorSpec(labels.shape, logits.dtype)


def _check_labels(op: str, labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Labels as flat indices; out-of-range labels are an error (as on TF's CPU kernel)."""
    if labels.shape != logits.shape[:-1]:
        raise ValueError("labels do not match logits")  # inference explains it (see op_error)
    classes = logits.shape[-1]
    flat = labels.reshape(-1)
    # Viewed as unsigned, a negative label is huge: one max() checks both ends.
    if flat.size and flat.view(flat.dtype.str.replace("i", "u")).max() >= classes:
        bad = flat[(flat < 0) | (flat >= classes)][0]
        raise InvalidArgumentError(op, f"Received a label value of {bad} which is outside the "
                                   f"valid range of [0, {classes}).  Label values: "
                                   f"{np.array2string(labels, threshold=20)}")
    return flat


def _sparse_impl(labels, logits):
    flat = _check_labels(_SPARSE, labels, logits)
    shifted = logits.reshape(flat.size, -1)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(shifted).sum(axis=1))
    return (log_total - shifted[np.arange(flat.size), flat]).reshape(labels.shape)


define_op(_SPARSE, kind=OpKind.OPAQUE, infer=_sparse_infer, impl=_sparse_impl,
          # One op for the whole backward pass: g[..., None] * (softmax(logits) - one_hot).
          grad=lambda g, loss, labels, logits: (None, bind(_SPARSE_GRAD, labels, logits, g)))


def _sparse_backprop_infer(labels: TensorSpec, logits: TensorSpec, g: TensorSpec) -> TensorSpec:
    _check_sparse(_SPARSE_GRAD, labels, logits)
    if g.dtype != logits.dtype or g.rank != labels.rank or any(
            a is not None and b is not None and a != b for a, b in zip(g.shape, labels.shape)):
        raise InvalidArgumentError(_SPARSE_GRAD, f"the incoming gradient {g.short()} does not "
                                   f"match the loss shape {list(labels.shape)}")
    return TensorSpec(logits.shape, logits.dtype)


def _sparse_backprop_impl(labels, logits, g):
    flat = _check_labels(_SPARSE_GRAD, labels, logits)
    if g.shape != labels.shape:
        raise ValueError("gradient does not match the loss")  # inference explains it
    p = logits.reshape(flat.size, -1)
    p = np.exp(p - p.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(flat.size), flat] -= 1
    p *= g.reshape(-1, 1)
    return p.reshape(logits.shape)


def _sparse_backprop_grad(big_g, backprop, labels, logits, g):
    # backprop = g * (softmax(logits) - onehot): linear in g; in logits, the softmax Jacobian.
    from fuseflow.core.ops.nn import softmax
    from fuseflow.core.ops.reduction import reduce_sum

    axis = logits.ndim - 1
    d_logits = softmax_vjp(ew.multiply(big_g, _expand_last(g)), softmax(logits), axis)
    unit = bind(_SPARSE_GRAD, labels, logits, ew.ones_like(g))
    return None, d_logits, reduce_sum(ew.multiply(big_g, unit), axis=axis)


define_op(_SPARSE_GRAD, kind=OpKind.OPAQUE, infer=_sparse_backprop_infer,
          impl=_sparse_backprop_impl, grad=_sparse_backprop_grad)


@export("nn.sparse_softmax_cross_entropy_with_logits")
def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None) -> Tensor:
    """Per-example -log(softmax(logits)[label]) for int `labels` of shape logits.shape[:-1].

    Raises:
        InvalidArgumentError: on shapes that do not match, or a label outside [0, classes).
    """
    return bind(_SPARSE, convert_to_tensor(labels), convert_to_tensor(logits), name=name)


# -- dense softmax cross-entropy ------------------------------------------------------------------

def _check_labels_like_logits(op: str, labels: TensorSpec, logits: TensorSpec) -> None:
    """Float logits, and labels of the same dtype and (where known) the same shape."""
    check_dtype(op, logits, FLOATS, "logits")
    if labels.dtype != logits.dtype:
        raise InvalidArgumentError(op, f"labels have dtype {labels.dtype.name} but logits have "
                                   f"{logits.dtype.name}")
    if labels.rank != logits.rank or any(a is not None and b is not None and a != b
                                         for a, b in zip(labels.shape, logits.shape)):
        raise InvalidArgumentError(op, f"logits and labels must be the same shape, got logits "
                                   f"{list(logits.shape)} and labels {list(labels.shape)}")


def _dense_infer(labels: TensorSpec, logits: TensorSpec, *, axis: int) -> TensorSpec:
    op = "softmax_cross_entropy_with_logits"
    _check_labels_like_logits(op, labels, logits)
    if not 0 <= axis < max(logits.rank, 1):
        raise InvalidArgumentError(op, f"axis {axis} is out of range for shape {logits.shape}")
    return TensorSpec(logits.shape[:axis] + logits.shape[axis + 1:], logits.dtype)


def _dense_impl(labels, logits, *, axis):
    if labels.shape != logits.shape:
        raise ValueError("labels do not match logits")  # inference explains it (see op_error)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return -(labels * log_probs).sum(axis=axis)


def _dense_grad(g, loss, labels, logits, *, axis):
    from fuseflow.core.ops.nn import log_softmax
    from fuseflow.core.ops.reduction import reduce_sum

    g = _expand_last(g, axis)
    log_probs = log_softmax(logits, axis=axis)
    # d/dlogits = softmax * sum(labels) - labels; TF's kernel assumes sum(labels) == 1.
    mass = reduce_sum(labels, axis=axis, keepdims=True)
    d_logits = ew.subtract(ew.multiply(ew.exp(log_probs), mass), labels)
    return ew.negative(ew.multiply(g, log_probs)), ew.multiply(g, d_logits)


define_op("softmax_cross_entropy_with_logits", kind=OpKind.OPAQUE, infer=_dense_infer,
          impl=_dense_impl, grad=_dense_grad)


@export("nn.softmax_cross_entropy_with_logits")
def softmax_cross_entropy_with_logits(labels, logits, axis: int = -1, name=None) -> Tensor:
    """Cross-entropy between a distribution `labels` and softmax(`logits`) along `axis`."""
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels, dtype_hint=logits.dtype)
    if labels.dtype != logits.dtype and labels.dtype.is_floating:
        labels = ew.cast(labels, logits.dtype)
    if not -logits.ndim <= axis < logits.ndim:
        raise InvalidArgumentError("softmax_cross_entropy_with_logits",
                                   f"axis {axis} is out of range for rank {logits.ndim}")
    return bind("softmax_cross_entropy_with_logits", labels, logits, axis=axis % logits.ndim,
                name=name)


# -- sigmoid cross-entropy ------------------------------------------------------------------------

def _sigmoid_xent_infer(labels: TensorSpec, logits: TensorSpec) -> TensorSpec:
    _check_labels_like_logits("sigmoid_cross_entropy_with_logits", labels, logits)
    return TensorSpec(logits.shape, logits.dtype)


def _sigmoid_xent_impl(z, x):
    if z.shape != x.shape:
        raise ValueError("labels do not match logits")  # inference explains it (see op_error)
    # max(x, 0) - x z + log(1 + exp(-|x|)): never overflows, exact for large |x|.
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def _sigmoid_xent_lower(b, z, x):
    softplus = b.log1p(b.exp(b.neg(b.abs(x))))
    return b.add(b.sub(b.max(x, b.const(0)), b.mul(x, z)), softplus)


def _sigmoid_xent_grad(g, loss, labels, logits):
    return (ew.negative(ew.multiply(g, logits)),
            ew.multiply(g, ew.subtract(ew.sigmoid(logits), labels)))


define_op("sigmoid_cross_entropy_with_logits", kind=OpKind.ELEMENTWISE,
          infer=_sigmoid_xent_infer, impl=_sigmoid_xent_impl, grad=_sigmoid_xent_grad,
          lower=_sigmoid_xent_lower)


@export("nn.sigmoid_cross_entropy_with_logits")
def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None) -> Tensor:
    """Elementwise logistic loss of `logits` against targets `labels` in [0, 1], computed stably."""
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits: both labels and logits are required")
    labels, logits = binary_operands(labels, logits, "sigmoid_cross_entropy_with_logits")
    return bind("sigmoid_cross_entropy_with_logits", labels, logits, name=name)


def sparse_softmax_cross_entropy_grad(labels, logits, grad=None) -> Tensor:
    """grad[..., None] * (softmax(logits) - one_hot(labels)): the sparse cross-entropy's VJP."""
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels)
    grad = ew.ones_like(labels, dtype=logits.dtype) if grad is None else convert_to_tensor(grad)
    return bind(_SPARSE_GRAD, labels, logits, grad)
