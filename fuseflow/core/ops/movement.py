"""Data movement: reshape, transpose, slicing, gathering, stacking, padding."""

from __future__ import annotations

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import as_shape_tuple
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def _reshape_infer(x: TensorSpec, *, shape: tuple[int, ...]) -> TensorSpec:
    unknown = [i for i, d in enumerate(shape) if d == -1]
    if len(unknown) > 1:
        raise InvalidArgumentError("reshape", f"only one dim may be -1, got shape {list(shape)}")
    total = x.num_elements
    known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
    if not unknown:
        if total is not None and total != known:
            raise InvalidArgumentError(
                "reshape", f"Input to reshape is a tensor with {total} values, but the requested "
                f"shape has {known}")
        return TensorSpec(shape, x.dtype)
    if total is None:
        return TensorSpec(tuple(None if d == -1 else d for d in shape), x.dtype)
    if known == 0 or total % known:
        raise InvalidArgumentError(
            "reshape", f"Input to reshape is a tensor with {total} values, but the requested "
            f"shape {list(shape)} cannot hold them")
    return TensorSpec(tuple(total // known if d == -1 else d for d in shape), x.dtype)


def _reshape_grad(g, y, x, *, shape):
    return (reshape(g, [-1 if d is None else d for d in x.shape]),)


define_op("reshape", kind=OpKind.MOVEMENT, infer=_reshape_infer,
          impl=lambda x, *, shape: np.reshape(x, shape), grad=_reshape_grad)


@export("reshape")
def reshape(tensor, shape, name=None) -> Tensor:
    """Give `tensor` a new shape with the same number of elements; one dim may be -1."""
    x = convert_to_tensor(tensor)
    return bind("reshape", x, shape=as_shape_tuple(shape, "reshape"), name=name)


def _broadcast_to_infer(x: TensorSpec, *, shape: tuple[int, ...]) -> TensorSpec:
    if len(shape) < x.rank:
        raise InvalidArgumentError("broadcast_to", f"cannot broadcast {x.shape} to {shape}")
    for a, b in zip(reversed(x.shape), reversed(shape)):
        if a not in (1, b, None):
            raise InvalidArgumentError("broadcast_to", f"cannot broadcast {x.shape} to {shape}")
    return TensorSpec(shape, x.dtype)


def _broadcast_to_grad(g, y, x, *, shape):
    from fuseflow.core.ops._helpers import unbroadcast

    return (unbroadcast(g, x),)


define_op("broadcast_to", kind=OpKind.ELEMENTWISE, infer=_broadcast_to_infer,
          # Materialised: callers may keep the result, and NumPy's broadcast views are read-only.
          impl=lambda x, *, shape: np.array(np.broadcast_to(x, shape)),
          grad=_broadcast_to_grad, lower=lambda b, x, *, shape: x)


@export("broadcast_to")
def broadcast_to(input, shape, name=None) -> Tensor:
    """Broadcast `input` to `shape` with NumPy's rules."""
    x = convert_to_tensor(input)
    if isinstance(shape, Tensor):
        shape = shape.numpy()
    return bind("broadcast_to", x, shape=as_shape_tuple(shape, "broadcast_to"), name=name)


def _broadcast_like_infer(x: TensorSpec, like: TensorSpec) -> TensorSpec:
    _broadcast_to_infer(x, shape=like.shape)
    return TensorSpec(like.shape, x.dtype)


define_op("broadcast_like", kind=OpKind.ELEMENTWISE, infer=_broadcast_like_infer,
          impl=lambda x, like: np.array(np.broadcast_to(x, like.shape)),
          grad=lambda g, y, x, like: (_broadcast_to_grad(g, y, x, shape=None)[0], None),
          lower=lambda b, x, like: x)


def broadcast_like(x, like) -> Tensor:
    """`x` broadcast to the shape of `like`, known only at run time (gradients use it)."""
    return bind("broadcast_like", convert_to_tensor(x), convert_to_tensor(like))


define_op("shape", kind=OpKind.OPAQUE,
          infer=lambda x, *, out_type: TensorSpec((x.rank,), out_type),
          impl=lambda x, *, out_type: np.array(x.shape, dtype=out_type.np_dtype))


@export("shape")
def shape(input, out_type=dtypes.int32, name=None) -> Tensor:
    """The shape of `input` as a 1-D integer tensor (known at run time, not trace time)."""
    return bind("shape", convert_to_tensor(input), out_type=dtypes.as_dtype(out_type), name=name)


def _stack_infer(*xs: TensorSpec, axis: int) -> TensorSpec:
    first = xs[0]
    for x in xs[1:]:
        if x.dtype != first.dtype or len(x.shape) != len(first.shape) or any(
                a is not None and b is not None and a != b for a, b in zip(x.shape, first.shape)):
            raise InvalidArgumentError("stack", "Shapes of all inputs must match: "
                                       f"{[list(s.shape) for s in xs]}")
    shape = list(first.shape)
    shape.insert(axis, len(xs))
    return TensorSpec(tuple(shape), first.dtype)


def _stack_grad(g, y, *xs, axis):
    return tuple(unstack(g, num=len(xs), axis=axis))


define_op("stack", kind=OpKind.MOVEMENT, infer=_stack_infer,
          impl=lambda *xs, axis: np.stack(xs, axis=axis), grad=_stack_grad)


@export("stack")
def stack(values, axis: int = 0, name=None) -> Tensor:
    """Stack rank-R tensors into one rank-(R+1) tensor along `axis`."""
    tensors = [convert_to_tensor(v) for v in values]
    if not tensors:
        raise InvalidArgumentError("stack", "needs at least one tensor")
    rank = tensors[0].ndim
    if not -rank - 1 <= axis <= rank:
        raise InvalidArgumentError("stack", f"axis {axis} out of range for rank {rank}")
    return bind("stack", *tensors, axis=axis % (rank + 1), name=name)


def _unstack_infer(x: TensorSpec, *, num: int, axis: int) -> tuple[TensorSpec, ...]:
    if x.shape[axis] is not None and x.shape[axis] != num:
        raise InvalidArgumentError("unstack", f"num {num} does not match dim {x.shape[axis]}")
    shape = x.shape[:axis] + x.shape[axis + 1:]
    return tuple(TensorSpec(shape, x.dtype) for _ in range(num))


define_op("unstack", kind=OpKind.MOVEMENT, infer=_unstack_infer, num_outputs=0,
          impl=lambda x, *, num, axis: tuple(np.moveaxis(x, axis, 0)),
          grad=lambda g, ys, x, *, num, axis: (stack(list(g), axis=axis),))


@export("unstack")
def unstack(value, num: int | None = None, axis: int = 0, name=None) -> list[Tensor]:
    """Split `value` along `axis` into a list of tensors of rank R-1."""
    x = convert_to_tensor(value)
    axis = axis % x.ndim
    n = x.shape[axis] if num is None else num
    if n is None:
        raise ValueError(f"unstack: cannot infer num from shape {x.shape}")
    return list(bind("unstack", x, num=int(n), axis=axis, name=name))
