"""Neural-network ops: softmax, log_softmax, bias_add, moments, batch normalization, dropout."""

from __future__ import annotations

import numbers

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops import elementwise as ew
from fuseflow.core.ops._helpers import FLOATS, NUMBERS, binary_operands, check_dtype
from fuseflow.core.ops.reduction import reduce_sum
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def _axis_spec(op: str):
    def infer(x: TensorSpec, *, axis: int) -> TensorSpec:
        check_dtype(op, x, FLOATS, "logits")
        if not 0 <= axis < max(x.rank, 1):
            raise InvalidArgumentError(op, f"axis {axis} is out of range for shape {x.shape}")
        return TensorSpec(x.shape, x.dtype)

    return infer


def _softmax_impl(x, *, axis):
    # Shift by the max so exp never overflows.
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def softmax_vjp(g, y, axis: int) -> Tensor:
    """g^T J of softmax at output `y`: y * (g - sum(g * y))."""
    inner = reduce_sum(ew.multiply(g, y), axis=axis, keepdims=True)
    return ew.multiply(y, ew.subtract(g, inner))


define_op("softmax", kind=OpKind.OPAQUE, infer=_axis_spec("softmax"), impl=_softmax_impl,
          grad=lambda g, y, x, *, axis: (softmax_vjp(g, y, axis),))


def _log_softmax_impl(x, *, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _log_softmax_grad(g, y, x, *, axis):
    total = reduce_sum(g, axis=axis, keepdims=True)
    return (ew.subtract(g, ew.multiply(ew.exp(y), total)),)


define_op("log_softmax", kind=OpKind.OPAQUE, infer=_axis_spec("log_softmax"),
          impl=_log_softmax_impl, grad=_log_softmax_grad)


def _logits_axis(op: str, logits, axis) -> tuple[Tensor, int]:
    x = convert_to_tensor(logits)
    if x.ndim == 0:
        raise InvalidArgumentError(op, "logits must have rank >= 1, got a scalar")
    axis = -1 if axis is None else int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise InvalidArgumentError(op, f"axis {axis} is out of range for rank {x.ndim}")
    return x, axis % x.ndim


@export("nn.softmax", "math.softmax")
def softmax(logits, axis=None, name=None) -> Tensor:
    """exp(logits) / sum(exp(logits)) along `axis` (default: the last), computed stably."""
    x, axis = _logits_axis("softmax", logits, axis)
    return bind("softmax", x, axis=axis, name=name)


@export("nn.log_softmax", "math.log_softmax")
def log_softmax(logits, axis=None, name=None) -> Tensor:
    """logits - log(sum(exp(logits))) along `axis` (default: the last), computed stably."""
    x, axis = _logits_axis("log_softmax", logits, axis)
    return bind("log_softmax", x, axis=axis, name=name)


# -- bias_add -------------------------------------------------------------------------------------

def _bias_add_infer(x: TensorSpec, bias: TensorSpec) -> TensorSpec:
    if x.dtype != bias.dtype:
        raise InvalidArgumentError("bias_add", f"value has dtype {x.dtype.name} but bias has "
                                   f"{bias.dtype.name}")
    check_dtype("bias_add", x, NUMBERS, "value")
    if x.rank < 2 or bias.rank != 1:
        raise InvalidArgumentError("bias_add", f"value must have rank >= 2 and bias rank 1, got "
                                   f"shapes {list(x.shape)} and {list(bias.shape)}")
    if None not in (x.shape[-1], bias.shape[0]) and x.shape[-1] != bias.shape[0]:
        raise InvalidArgumentError("bias_add", f"Must provide as many biases as the last "
                                   f"dimension of the input tensor: {list(bias.shape)} vs. "
                                   f"{list(x.shape)}")
    return TensorSpec(x.shape, x.dtype)


def _bias_add_impl(x, bias):
    if bias.ndim != 1 or x.ndim < 2 or x.shape[-1] != bias.shape[0]:
        raise ValueError("bias does not match the last dimension")  # inference explains it
    return x + bias


def _bias_add_grad(g, y, x, bias):
    return g, reduce_sum(g, axis=tuple(range(g.ndim - 1)))


define_op("bias_add", kind=OpKind.ELEMENTWISE, infer=_bias_add_infer, impl=_bias_add_impl,
          grad=_bias_add_grad, lower=lambda b, x, bias: b.add(x, bias))


@export("nn.bias_add")
def bias_add(value, bias, data_format=None, name=None) -> Tensor:
    """Add the 1-D `bias` along the channel axis of `value` (the last axis unless NC...)."""
    x, b = binary_operands(value, bias, "bias_add")
    if data_format is not None and data_format.startswith("NC"):
        from fuseflow.core.ops.movement import reshape

        if b.ndim != 1 or x.ndim < 3:
            raise InvalidArgumentError("bias_add", f"NC* data needs rank >= 3 and a 1-D bias, "
                                       f"got shapes {list(x.shape)} and {list(b.shape)}")
        return ew.add(x, reshape(b, [-1] + [1] * (x.ndim - 2)), name=name)
    return bind("bias_add", x, b, name=name)


# -- moments, batch normalization, dropout (composed of other ops) ------------------------------

@export("nn.moments")
def moments(x, axes, shift=None, keepdims: bool = False, name=None) -> tuple[Tensor, Tensor]:
    """Mean and variance of `x` over `axes`."""
    from fuseflow.core.ops._helpers import canonical_axes
    from fuseflow.core.ops.movement import squeeze
    from fuseflow.core.ops.reduction import reduce_mean

    x = convert_to_tensor(x)
    axes = canonical_axes(axes, x.ndim, "moments")
    mean = reduce_mean(x, axes, keepdims=True)
    # The centre is a constant for the variance: its gradient through the mean is exactly zero.
    centred = ew.subtract(x, ew.stop_gradient(mean))
    variance = reduce_mean(ew.multiply(centred, centred), axes, keepdims=keepdims)
    return (mean if keepdims else squeeze(mean, axes)), variance


@export("nn.batch_normalization")
def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None) -> Tensor:
    """(x - mean) * scale / sqrt(variance + variance_epsilon) + offset."""
    x = convert_to_tensor(x)
    inv = ew.rsqrt(ew.add(variance, variance_epsilon))
    if scale is not None:
        inv = ew.multiply(inv, scale)
    shift = ew.negative(ew.multiply(mean, inv))
    if offset is not None:
        shift = ew.add(shift, offset)
    return ew.add(ew.multiply(x, inv), shift, name=name)


@export("nn.dropout")
def dropout(x, rate, noise_shape=None, seed=None, name=None) -> Tensor:
    """Zero each element with probability `rate` and scale the rest by 1 / (1 - rate).

    A new mask is drawn on every call (in a traced function, on every run of it).
    """
    from fuseflow.core.ops import random_ops
    from fuseflow.core.ops.movement import shape as dynamic_shape

    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise InvalidArgumentError("dropout", f"x must be a float tensor, got {x.dtype.name}")
    if isinstance(rate, numbers.Real):
        if not 0 <= rate < 1:
            raise InvalidArgumentError("dropout", f"rate must be a scalar tensor or a float in "
                                       f"the range [0, 1), got {rate}")
        if rate == 0:
            return x
    if noise_shape is None:
        noise_shape = tuple(x.shape) if x.shape.is_fully_defined() else dynamic_shape(x)
    noise = random_ops.uniform(noise_shape, dtype=x.dtype, seed=seed)
    rate = ew.cast(rate, x.dtype) if isinstance(rate, Tensor) else rate
    keep = ew.cast(ew.greater_equal(noise, rate), x.dtype)
    return ew.multiply(x, ew.divide(keep, ew.subtract(1.0, rate)) if isinstance(rate, Tensor)
                       else ew.multiply(keep, 1.0 / (1.0 - rate)), name=name)
