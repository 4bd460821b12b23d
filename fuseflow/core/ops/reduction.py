"""Reductions over axes: sums, means, extrema, arg-extrema, scans."""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import NUMBERS, canonical_axes, check_dtype
from fuseflow.core.registry import OpKind, Reduction, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def reduced_shape(x: TensorSpec, axis: tuple[int, ...], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axis else d for i, d in enumerate(x.shape))
    return tuple(d for i, d in enumerate(x.shape) if i not in axis)


def reduction_spec(op: str, allowed: frozenset[str] = NUMBERS, out=None):
    """Inference for `op(x, axis=, keepdims=)`."""

    def infer(x: TensorSpec, *, axis: tuple[int, ...], keepdims: bool) -> TensorSpec:
        check_dtype(op, x, allowed)
        if any(not 0 <= a < max(x.rank, 1) for a in axis):
            raise InvalidArgumentError(op, f"axis {axis} out of range for shape {x.shape}")
        return TensorSpec(reduced_shape(x, axis, keepdims), out or x.dtype)

    return infer


def keep_reduced_dims(g: Tensor, x: Tensor, axis: tuple[int, ...], keepdims: bool) -> Tensor:
    """`g` reshaped so it broadcasts against `x` (the reduced axes restored as size 1)."""
    from fuseflow.core.ops.movement import reshape

    if keepdims or not axis:
        return g
    shape = [1 if i in axis else (-1 if d is None else d) for i, d in enumerate(x.shape)]
    return reshape(g, shape)


def _reduce_sum_grad(g, y, x, *, axis, keepdims):
    from fuseflow.core.ops.movement import broadcast_like

    return (broadcast_like(keep_reduced_dims(g, x, axis, keepdims), x),)


define_op("reduce_sum", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_sum"),
          impl=lambda x, *, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims,
                                                  dtype=x.dtype),
          grad=_reduce_sum_grad, lower=Reduction(combine="add", identity=0.0))


@export("math.reduce_sum", "reduce_sum")
def reduce_sum(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Sum elements across `axis` (all axes when None), like `tf.reduce_sum`."""
    x = convert_to_tensor(input_tensor)
    axes = canonical_axes(axis, x.ndim, "reduce_sum")
    return bind("reduce_sum", x, axis=axes, keepdims=bool(keepdims), name=name)
