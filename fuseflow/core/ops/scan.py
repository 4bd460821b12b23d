"""Scans and selections along one axis: cumsum, cumprod, top_k."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import NUMBERS, canonical_axis, check_dtype
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def _scan_infer(op: str):
    def infer(x: TensorSpec, *, axis: int, exclusive: bool, reverse: bool) -> TensorSpec:
        check_dtype(op, x, NUMBERS)
        if not 0 <= axis < max(x.rank, 1):
            raise InvalidArgumentError(op, f"axis {axis} out of range for shape {list(x.shape)}")
        return x

    return infer


def _scan_impl(fn, identity):
    def impl(x, *, axis, exclusive, reverse):
        if x.ndim == 0:
            return x.copy()
        if reverse:
            x = np.flip(x, axis)
        out = fn(x, axis=axis, dtype=x.dtype)
        if exclusive and x.shape[axis]:  # shift by one: out[i] covers x[:i]
            out = np.roll(out, 1, axis=axis)
            index = [slice(None)] * x.ndim
            index[axis] = 0
            out[tuple(index)] = identity
        return np.flip(out, axis) if reverse else out

    return impl


def _cumsum_grad(g, y, x, *, axis, exclusive, reverse):
    return (cumsum(g, axis, exclusive=exclusive, reverse=not reverse),)


def _cumprod_grad(g, y, x, *, axis, exclusive, reverse):
    from fuseflow.core.ops.elementwise import divide, multiply

    # TF's rule: exact away from zeros in `x` (divides by x).
    summed = cumsum(multiply(y, g), axis, exclusive=exclusive, reverse=not reverse)
    return (divide(summed, x),)


define_op("cumsum", kind=OpKind.OPAQUE, infer=_scan_infer("cumsum"),
          impl=_scan_impl(np.cumsum, 0), grad=_cumsum_grad)
define_op("cumprod", kind=OpKind.OPAQUE, infer=_scan_infer("cumprod"),
          impl=_scan_impl(np.cumprod, 1), grad=_cumprod_grad)


def _scan(op: str, x, axis, exclusive, reverse, name) -> Tensor:
    x = convert_to_tensor(x)
    axis = canonical_axis(axis, max(x.ndim, 1), op)
    return bind(op, x, axis=axis, exclusive=bool(exclusive), reverse=bool(reverse), name=name)


@export("math.cumsum", "cumsum")
def cumsum(x, axis: int = 0, exclusive: bool = False, reverse: bool = False,
           name=None) -> Tensor:
    """Cumulative sum along `axis` (`exclusive` leaves out the current element)."""
    return _scan("cumsum", x, axis, exclusive, reverse, name)


@export("math.cumprod", "cumprod")
def cumprod(x, axis: int = 0, exclusive: bool = False, reverse: bool = False,
            name=None) -> Tensor:
    """Cumulative product along `axis` (`exclusive` leaves out the current element)."""
    return _scan("cumprod", x, axis, exclusive, reverse, name)


# -- top_k ---------------------------------------------------------------------------------------

class TopKV2(NamedTuple):
    """The result of `top_k`: `values` and their `indices`."""

    values: Tensor
    indices: Tensor


def _top_k_infer(x: TensorSpec, *, k: int, sorted: bool) -> tuple[TensorSpec, TensorSpec]:
    from fuseflow.core import dtypes

    check_dtype("top_k", x, NUMBERS, "input")
    if x.rank < 1:
        raise InvalidArgumentError("top_k", "input must have rank >= 1")
    n = x.shape[-1]
    if k < 0 or (n is not None and n < k):
        raise InvalidArgumentError("top_k", f"input must have at least k={k} columns, got "
                                   f"shape {list(x.shape)}")
    shape = (*x.shape[:-1], k)
    return TensorSpec(shape, x.dtype), TensorSpec(shape, dtypes.int32)


def _top_k_impl(x, *, k, sorted):
    if not 0 <= k <= x.shape[-1]:
        raise InvalidArgumentError("top_k", f"input must have at least k={k} columns, got "
                                   f"shape {list(x.shape)}")
    # A stable sort of -x keeps the lower index first among ties, as TF does.
    order = np.argsort(-x if x.dtype.kind == "f" else -x.astype(np.int64), axis=-1,
                       kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


def _top_k_grad(g, outs, x, *, k, sorted):
    from fuseflow.core.ops.gather import gather_grad

    indices = outs[1]
    return (gather_grad(g[0], indices, x, axis=x.ndim - 1, batch_dims=x.ndim - 1),)


define_op("top_k", kind=OpKind.OPAQUE, infer=_top_k_infer, impl=_top_k_impl,
          grad=_top_k_grad, num_outputs=2)


@export("math.top_k", "nn.top_k")
def top_k(input, k: int = 1, sorted: bool = True, name=None) -> TopKV2:
    """The `k` largest entries of the last axis and their indices (ties: lower index first)."""
    values, indices = bind("top_k", convert_to_tensor(input), k=int(k), sorted=bool(sorted),
                           name=name)
    return TopKV2(values, indices)
