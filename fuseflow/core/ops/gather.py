"""Indexed movement: gather (and its scatter-add gradient), gather_nd, segment sums,
one_hot, boolean_mask.

Indices are checked against the dimension they index: an out-of-range (or negative) index is an
InvalidArgumentError, as on TF's CPU, never NumPy's wrap-around.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import INTS, check_dtype
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def _check_range(op: str, indices: np.ndarray, limit: int) -> None:
    if indices.size and (indices.min() < 0 or indices.max() >= limit):
        bad = indices[(indices < 0) | (indices >= limit)].reshape(-1)[0]
        raise InvalidArgumentError(op, f"indices contain {bad}, which is not in [0, {limit})")


# -- gather ----------------------------------------------------------------------------------------

def _gather_infer(params: TensorSpec, indices: TensorSpec, *, axis: int,
                  batch_dims: int) -> TensorSpec:
    check_dtype("gather", indices, INTS, "indices")
    if not 0 <= batch_dims <= axis < params.rank or batch_dims > indices.rank:
        raise InvalidArgumentError("gather", f"need batch_dims ({batch_dims}) <= axis ({axis}) "
                                   f"< rank of params ({params.rank}) and batch_dims <= rank of "
                                   f"indices ({indices.rank})")
    for i in range(batch_dims):
        a, b = params.shape[i], indices.shape[i]
        if a is not None and b is not None and a != b:
            raise InvalidArgumentError("gather", f"batch dims of params {list(params.shape)} "
                                       f"and indices {list(indices.shape)} differ")
    shape = params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis + 1:]
    return TensorSpec(shape, params.dtype)


def _batch_key(indices: np.ndarray, batch_dims: int) -> tuple:
    """Advanced-index arrays selecting batch entry b for indices[b, ...]."""
    key = []
    for j in range(batch_dims):
        shape = [1] * indices.ndim
        shape[j] = indices.shape[j]
        key.append(np.arange(indices.shape[j]).reshape(shape))
    return (*key, indices)


def _gather_impl(params, indices, *, axis, batch_dims):
    _check_range("gather", indices, params.shape[axis])
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    # Move the gathered axis next to the batch dims, index, then put the dims between back.
    moved = np.moveaxis(params, axis, batch_dims)
    out = moved[_batch_key(indices, batch_dims)]
    between = axis - batch_dims
    start = indices.ndim
    return np.moveaxis(out, range(start, start + between), range(batch_dims, batch_dims + between))


def _gather_grad_impl(g, indices, like, *, axis, batch_dims):
    out = np.zeros(like.shape, dtype=g.dtype)
    between = axis - batch_dims
    if batch_dims == 0:
        moved_g = np.moveaxis(g, range(axis), range(indices.ndim, indices.ndim + axis))
        np.add.at(np.moveaxis(out, axis, 0), indices, moved_g)
        return out
    start = indices.ndim
    moved_g = np.moveaxis(g, range(batch_dims, batch_dims + between), range(start, start + between))
    np.add.at(np.moveaxis(out, axis, batch_dims), _batch_key(indices, batch_dims), moved_g)
    return out


define_op("gather", kind=OpKind.OPAQUE, infer=_gather_infer, impl=_gather_impl,
          grad=lambda g, y, params, indices, **attrs: (gather_grad(g, indices, params, **attrs),
                                                       None))
define_op("gather_grad", kind=OpKind.OPAQUE,
          infer=lambda g, indices, like, **attrs: TensorSpec(like.shape, g.dtype),
          impl=_gather_grad_impl,
          grad=lambda h, y, g, indices, like, **attrs: (bind("gather", h, indices, **attrs),
                                                        None, None))


def gather_grad(g, indices, like, *, axis: int, batch_dims: int) -> Tensor:
    """Scatter-add `g` into zeros shaped like `like`: the adjoint of `gather`."""
    return bind("gather_grad", g, indices, like, axis=axis, batch_dims=batch_dims)


@export("gather")
def gather(params, indices, validate_indices=None, axis=None, batch_dims: int = 0,
           name=None) -> Tensor:
    """Gather slices of `params` along `axis` at `indices` (batched over `batch_dims`)."""
    x = convert_to_tensor(params)
    idx = convert_to_tensor(indices)
    axis = batch_dims if axis is None else int(axis)
    if batch_dims < 0:
        batch_dims += idx.ndim
    if not -x.ndim <= axis < x.ndim:
        raise InvalidArgumentError("gather", f"axis {axis} out of range for params of shape "
                                   f"{list(x.shape)}")
    return bind("gather", x, idx, axis=axis % x.ndim, batch_dims=batch_dims, name=name)


# -- segment sums ----------------------------------------------------------------------------

def _segment_sum_infer(data: TensorSpec, ids: TensorSpec, *, num_segments: int) -> TensorSpec:
    check_dtype("unsorted_segment_sum", ids, INTS, "segment_ids")
    if ids.shape != data.shape[:ids.rank] and None not in ids.shape + data.shape[:ids.rank]:
        raise InvalidArgumentError("unsorted_segment_sum", f"segment_ids shape "
                                   f"{list(ids.shape)} is not a prefix of data shape "
                                   f"{list(data.shape)}")
    return TensorSpec((num_segments,) + data.shape[ids.rank:], data.dtype)


def _segment_sum_impl(data, ids, *, num_segments):
    _check_range("unsorted_segment_sum", ids, num_segments)
    out = np.zeros((num_segments,) + data.shape[ids.ndim:], dtype=data.dtype)
    np.add.at(out, ids, data)
    return out


define_op("unsorted_segment_sum", kind=OpKind.OPAQUE, infer=_segment_sum_infer,
          impl=_segment_sum_impl,
          grad=lambda g, y, data, ids, *, num_segments: (gather(g, ids), None))


@export("math.unsorted_segment_sum")
def unsorted_segment_sum(data, segment_ids, num_segments, name=None) -> Tensor:
    """Sum the rows of `data` that share a segment id into `num_segments` rows."""
    return bind("unsorted_segment_sum", convert_to_tensor(data), convert_to_tensor(segment_ids),
                num_segments=int(num_segments), name=name)


# -- gather_nd ---------------------------------------------------------------------------------

def _gather_nd_infer(params: TensorSpec, indices: TensorSpec) -> TensorSpec:
    check_dtype("gather_nd", indices, INTS, "indices")
    depth = indices.shape[-1] if indices.rank else None
    if depth is None or depth > params.rank:
        raise InvalidArgumentError("gather_nd", f"indices.shape[-1] must be known and <= rank "
                                   f"of params: {list(indices.shape)} vs {list(params.shape)}")
    return TensorSpec(indices.shape[:-1] + params.shape[depth:], params.dtype)


def _nd_key(params_shape, indices: np.ndarray) -> tuple:
    depth = indices.shape[-1]
    for i in range(depth):
        _check_range("gather_nd", indices[..., i], params_shape[i])
    return tuple(indices[..., i] for i in range(depth))


def _gather_nd_grad_impl(g, indices, like):
    out = np.zeros(like.shape, dtype=g.dtype)
    np.add.at(out, _nd_key(like.shape, indices), g)
    return out


define_op("gather_nd", kind=OpKind.OPAQUE, infer=_gather_nd_infer,
          impl=lambda params, indices: params[_nd_key(params.shape, indices)],
          grad=lambda g, y, params, indices: (bind("gather_nd_grad", g, indices, params), None))
define_op("gather_nd_grad", kind=OpKind.OPAQUE,
          infer=lambda g, indices, like: TensorSpec(like.shape, g.dtype),
          impl=_gather_nd_grad_impl,
          grad=lambda h, y, g, indices, like: (bind("gather_nd", h, indices), None, None))


@export("gather_nd")
def gather_nd(params, indices, batch_dims: int = 0, name=None) -> Tensor:
    """Gather slices of `params` addressed by the last axis of `indices`."""
    if batch_dims:
        raise NotImplementedError("gather_nd: batch_dims > 0 is not supported yet")
    return bind("gather_nd", convert_to_tensor(params), convert_to_tensor(indices), name=name)


# -- one_hot -------------------------------------------------------------------------------------

def _one_hot_infer(indices: TensorSpec, *, depth, on_value, off_value, axis, dtype) -> TensorSpec:
    check_dtype("one_hot", indices, INTS, "indices")
    if depth < 0 or not 0 <= axis <= indices.rank:
        raise InvalidArgumentError("one_hot", f"need depth >= 0 and -1 <= axis <= "
                                   f"{indices.rank}, got depth {depth}, axis {axis}")
    return TensorSpec(indices.shape[:axis] + (depth,) + indices.shape[axis:], dtype)


def _one_hot_impl(indices, *, depth, on_value, off_value, axis, dtype):
    # Out-of-range (and negative) indices give an all-off row, as TF does.
    hot = np.expand_dims(indices, axis) == np.arange(depth).reshape(
        [-1 if i == axis else 1 for i in range(indices.ndim + 1)])
    return np.where(hot, on_value, off_value).astype(dtype.np_dtype)


define_op("one_hot", kind=OpKind.OPAQUE, infer=_one_hot_infer, impl=_one_hot_impl)


@export("one_hot")
def one_hot(indices, depth: int, on_value=None, off_value=None, axis=None, dtype=None,
            name=None) -> Tensor:
    """A tensor with `on_value` where the last (or `axis`) coordinate equals `indices`."""
    idx = convert_to_tensor(indices)
    check_dtype("one_hot", idx.spec, INTS, "indices")
    if dtype is None:
        given = on_value if on_value is not None else off_value
        dtype = (convert_to_tensor(given).dtype if given is not None else dtypes.float32)
    dtype = dtypes.as_dtype(dtype)
    kind = bool if dtype.is_bool else (float if dtype.is_floating else int)
    axis = idx.ndim if axis is None or axis == -1 else int(axis)
    return bind("one_hot", idx, depth=int(depth), on_value=kind(_scalar(on_value, 1)),
                off_value=kind(_scalar(off_value, 0)), axis=axis, dtype=dtype, name=name)


def _scalar(value, default):
    if value is None:
        return default
    return value.numpy().item() if isinstance(value, Tensor) else value


# -- boolean_mask ------------------------------------------------------------------------------

def _boolean_mask_infer(x: TensorSpec, mask: TensorSpec, *, axis: int) -> TensorSpec:
    if mask.dtype != dtypes.bool_:
        raise InvalidArgumentError("boolean_mask", f"mask must be bool, got {mask.dtype.name}")
    if mask.rank == 0 or axis + mask.rank > x.rank or any(
            a is not None and b is not None and a != b
            for a, b in zip(mask.shape, x.shape[axis:axis + mask.rank])):
        raise InvalidArgumentError("boolean_mask", f"mask shape {list(mask.shape)} does not "
                                   f"match tensor shape {list(x.shape)} at axis {axis}")
    return TensorSpec(x.shape[:axis] + (None,) + x.shape[axis + mask.rank:], x.dtype)


def _mask_key(mask, axis):
    return (slice(None),) * axis + (mask,)


def _boolean_mask_grad_impl(g, mask, like, *, axis):
    out = np.zeros(like.shape, dtype=g.dtype)
    out[_mask_key(mask, axis)] = g
    return out


define_op("boolean_mask", kind=OpKind.OPAQUE, infer=_boolean_mask_infer,
          impl=lambda x, mask, *, axis: x[_mask_key(mask, axis)],
          grad=lambda g, y, x, mask, *, axis: (
              bind("boolean_mask_grad", g, mask, x, axis=axis), None))
define_op("boolean_mask_grad", kind=OpKind.OPAQUE,
          infer=lambda g, mask, like, *, axis: TensorSpec(like.shape, g.dtype),
          impl=_boolean_mask_grad_impl,
          grad=lambda h, y, g, mask, like, *, axis: (
              bind("boolean_mask", h, mask, axis=axis), None, None))


@export("boolean_mask")
def boolean_mask(tensor, mask, axis=None, name=None) -> Tensor:
    """The entries of `tensor` where `mask` is True (the masked axes become one)."""
    x, m = convert_to_tensor(tensor), convert_to_tensor(mask)
    axis = 0 if axis is None else int(axis) % max(x.ndim, 1)
    return bind("boolean_mask", x, m, axis=axis, name=name)
