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


def _check_same_dtype(op: str, tensors) -> None:
    """NumPy would promote mixed dtypes silently; TF refuses them."""
    first = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != first:
            raise InvalidArgumentError(op, f"all inputs must have one dtype, got {first.name} "
                                       f"and {t.dtype.name}")


@export("stack")
def stack(values, axis: int = 0, name=None) -> Tensor:
    """Stack rank-R tensors into one rank-(R+1) tensor along `axis`."""
    tensors = [convert_to_tensor(v) for v in values]
    if not tensors:
        raise InvalidArgumentError("stack", "needs at least one tensor")
    _check_same_dtype("stack", tensors)
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


# -- transpose, expand_dims, squeeze, reverse ----------------------------------------------------

def _transpose_infer(x: TensorSpec, *, perm: tuple[int, ...]) -> TensorSpec:
    if sorted(perm) != list(range(x.rank)):
        raise InvalidArgumentError("transpose", f"perm {list(perm)} is not a permutation of the "
                                   f"{x.rank} axes of shape {list(x.shape)}")
    return TensorSpec(tuple(x.shape[p] for p in perm), x.dtype)


define_op("transpose", kind=OpKind.MOVEMENT, infer=_transpose_infer,
          impl=lambda x, *, perm: np.transpose(x, perm),
          grad=lambda g, y, x, *, perm: (transpose(g, tuple(np.argsort(perm).tolist())),))


@export("transpose")
def transpose(a, perm=None, conjugate: bool = False, name=None) -> Tensor:
    """Permute the axes of `a` (reversed when `perm` is None)."""
    x = convert_to_tensor(a)
    if perm is None:
        perm = tuple(range(x.ndim - 1, -1, -1))
    else:
        if isinstance(perm, Tensor):
            perm = perm.numpy().tolist()
        perm = tuple(int(p) % x.ndim if -x.ndim <= int(p) < x.ndim else int(p) for p in perm)
    return bind("transpose", x, perm=perm, name=name)


@export("linalg.matrix_transpose", "linalg.transpose")
def matrix_transpose(a, name=None, conjugate: bool = False) -> Tensor:
    """Swap the last two axes of `a` (a batch of matrices)."""
    x = convert_to_tensor(a)
    if x.ndim < 2:
        raise InvalidArgumentError("matrix_transpose", f"needs rank >= 2, got shape "
                                   f"{list(x.shape)}")
    perm = (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2)
    return bind("transpose", x, perm=perm, name=name)


def _expand_dims_infer(x: TensorSpec, *, axis: int) -> TensorSpec:
    if not 0 <= axis <= x.rank:
        raise InvalidArgumentError("expand_dims", f"axis {axis} out of range for rank {x.rank}")
    return TensorSpec(x.shape[:axis] + (1,) + x.shape[axis:], x.dtype)


define_op("expand_dims", kind=OpKind.MOVEMENT, infer=_expand_dims_infer,
          impl=lambda x, *, axis: np.expand_dims(x, axis),
          grad=lambda g, y, x, *, axis: (squeeze(g, axis),))


@export("expand_dims")
def expand_dims(input, axis: int, name=None) -> Tensor:
    """Insert a dimension of size 1 at `axis` (negative counts from the end of the result)."""
    x = convert_to_tensor(input)
    axis = int(axis)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise InvalidArgumentError("expand_dims", f"axis {axis} out of range for a tensor of "
                                   f"rank {x.ndim} (shape {list(x.shape)})")
    return bind("expand_dims", x, axis=axis % (x.ndim + 1), name=name)


def _squeeze_infer(x: TensorSpec, *, axis: tuple[int, ...]) -> TensorSpec:
    for a in axis:
        if not 0 <= a < x.rank or x.shape[a] not in (1, None):
            raise InvalidArgumentError("squeeze", f"Can not squeeze dim[{a}], expected a "
                                       f"dimension of 1, got shape {list(x.shape)}")
    return TensorSpec(tuple(d for i, d in enumerate(x.shape) if i not in axis), x.dtype)


def _squeeze_grad(g, y, x, *, axis):
    for a in axis:
        g = expand_dims(g, a)
    return (g,)


define_op("squeeze", kind=OpKind.MOVEMENT, infer=_squeeze_infer,
          impl=lambda x, *, axis: np.squeeze(x, axis), grad=_squeeze_grad)


@export("squeeze")
def squeeze(input, axis=None, name=None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or those in `axis`)."""
    from fuseflow.core.ops._helpers import canonical_axes

    x = convert_to_tensor(input)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = canonical_axes(axis, x.ndim, "squeeze")
    return bind("squeeze", x, axis=axes, name=name)


def _reverse_infer(x: TensorSpec, *, axis: tuple[int, ...]) -> TensorSpec:
    if any(not 0 <= a < x.rank for a in axis):
        raise InvalidArgumentError("reverse", f"axis {axis} out of range for rank {x.rank}")
    return x


define_op("reverse", kind=OpKind.MOVEMENT, infer=_reverse_infer,
          impl=lambda x, *, axis: np.flip(x, axis),
          grad=lambda g, y, x, *, axis: (bind("reverse", g, axis=axis),))


@export("reverse")
def reverse(tensor, axis, name=None) -> Tensor:
    """Reverse the order of elements along each axis in `axis`."""
    from fuseflow.core.ops._helpers import canonical_axes

    x = convert_to_tensor(tensor)
    return bind("reverse", x, axis=canonical_axes(axis, x.ndim, "reverse"), name=name)


# -- concat and split ----------------------------------------------------------------------------

def _concat_infer(*xs: TensorSpec, axis: int) -> TensorSpec:
    first = xs[0]
    total = 0
    for x in xs:
        if x.dtype != first.dtype or x.rank != first.rank or any(
                i != axis and a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(x.shape, first.shape))):
            raise InvalidArgumentError("concat", "Dimensions of inputs should match except on "
                                       f"axis {axis}: {[list(s.shape) for s in xs]}")
        total = None if total is None or x.shape[axis] is None else total + x.shape[axis]
    shape = list(first.shape)
    for x in xs[1:]:  # a dim unknown in one input may be known in another
        shape = [b if a is None else a for a, b in zip(shape, x.shape)]
    shape[axis] = total
    return TensorSpec(tuple(shape), first.dtype)


def _concat_grad(g, y, *xs, axis):
    sizes = [x.shape[axis] for x in xs]
    if sum(s is None for s in sizes) > 1:
        raise NotImplementedError("concat gradient: more than one input has an unknown size "
                                  f"along axis {axis}")
    return tuple(split(g, [-1 if s is None else s for s in sizes], axis=axis))


define_op("concat", kind=OpKind.MOVEMENT, infer=_concat_infer,
          impl=lambda *xs, axis: np.concatenate(xs, axis=axis), grad=_concat_grad)


@export("concat")
def concat(values, axis: int, name=None) -> Tensor:
    """Join tensors of equal rank along `axis`."""
    tensors = [convert_to_tensor(v) for v in values]
    if not tensors:
        raise InvalidArgumentError("concat", "needs at least one tensor")
    _check_same_dtype("concat", tensors)
    rank = tensors[0].ndim
    if not -rank <= int(axis) < max(rank, 1) or rank == 0:
        raise InvalidArgumentError("concat", f"axis {axis} out of range for tensors of rank "
                                   f"{rank}")
    return bind("concat", *tensors, axis=int(axis) % rank, name=name)


def _split_sizes(dim: int | None, sizes: tuple | None, num: int | None, op="split") -> tuple:
    """The size of every piece; None where `dim` is not known yet."""
    if sizes is None:
        if dim is None:
            return (None,) * num
        if num <= 0 or dim % num:
            raise InvalidArgumentError(op, f"Number of ways to split should evenly divide the "
                                       f"split dimension, but got split_dim {dim} (size = "
                                       f"{dim}) and num_split {num}")
        return (dim // num,) * num
    if -1 not in sizes:
        if dim is not None and sum(sizes) != dim:
            raise InvalidArgumentError(op, f"Determined shape must either match input shape "
                                       f"along split_dim exactly if fully specified, or be less "
                                       f"than the size of the input along split_dim if not "
                                       f"fully specified. Got sizes {list(sizes)} for a dim "
                                       f"of {dim}")
        return sizes
    rest = None if dim is None else dim - sum(s for s in sizes if s != -1)
    if rest is not None and rest < 0:
        raise InvalidArgumentError(op, f"sizes {list(sizes)} exceed the dim {dim}")
    return tuple(rest if s == -1 else s for s in sizes)


def _split_infer(x: TensorSpec, *, sizes, num, axis) -> tuple[TensorSpec, ...]:
    if not 0 <= axis < x.rank:
        raise InvalidArgumentError("split", f"axis {axis} out of range for rank {x.rank}")
    pieces = _split_sizes(x.shape[axis], sizes, num)
    return tuple(TensorSpec(x.shape[:axis] + (s,) + x.shape[axis + 1:], x.dtype)
                 for s in pieces)


def _split_impl(x, *, sizes, num, axis):
    pieces = _split_sizes(x.shape[axis], sizes, num)
    return tuple(np.split(x, np.cumsum(pieces[:-1]), axis=axis))


define_op("split", kind=OpKind.MOVEMENT, infer=_split_infer, impl=_split_impl, num_outputs=0,
          grad=lambda g, ys, x, *, sizes, num, axis: (concat(list(g), axis),))


@export("split")
def split(value, num_or_size_splits, axis: int = 0, num=None, name=None) -> list[Tensor]:
    """Split `value` along `axis` into equal pieces or pieces of the given sizes."""
    x = convert_to_tensor(value)
    if not -x.ndim <= int(axis) < x.ndim:
        raise InvalidArgumentError("split", f"axis {axis} out of range for rank {x.ndim}")
    axis = int(axis) % x.ndim
    splits = num_or_size_splits
    if isinstance(splits, Tensor):
        splits = splits.numpy().tolist()
    if isinstance(splits, int | np.integer):
        sizes, num = None, int(splits)
        if x.shape[axis] is not None:
            sizes = _split_sizes(x.shape[axis], None, num)
    else:
        sizes = tuple(int(s) for s in splits)
        num = len(sizes)
        if sizes.count(-1) > 1:
            raise InvalidArgumentError("split", f"only one size may be -1, got {list(sizes)}")
    return list(bind("split", x, sizes=sizes, num=num, axis=axis, name=name))


# -- tile ------------------------------------------------------------------------------------------

def _tile_infer(x: TensorSpec, *, multiples: tuple[int, ...]) -> TensorSpec:
    if len(multiples) != x.rank or any(m < 0 for m in multiples):
        raise InvalidArgumentError("tile", f"Expected multiples argument to be a vector of "
                                   f"length {x.rank} of non-negative ints, got {list(multiples)}")
    return TensorSpec(tuple(None if d is None else d * m for d, m in zip(x.shape, multiples)),
                      x.dtype)


def _tile_grad(g, y, x, *, multiples):
    from fuseflow.core.ops.reduction import reduce_sum

    dims = [d for d in x.shape]
    if sum(d is None for d in dims) > 1:
        raise NotImplementedError("tile gradient needs at most one unknown dim")
    # g viewed as [m0, d0, m1, d1, ...]: summing the m axes folds the copies together.
    split_shape = [v for m, d in zip(multiples, dims) for v in (m, -1 if d is None else d)]
    summed = reduce_sum(reshape(g, split_shape), axis=list(range(0, 2 * len(dims), 2)))
    return (summed,)


define_op("tile", kind=OpKind.MOVEMENT, infer=_tile_infer,
          impl=lambda x, *, multiples: np.tile(x, multiples), grad=_tile_grad)


@export("tile")
def tile(input, multiples, name=None) -> Tensor:
    """Repeat `input` `multiples[i]` times along axis i."""
    x = convert_to_tensor(input)
    multiples = as_shape_tuple(multiples, "tile")
    _tile_infer(x.spec, multiples=multiples)  # NumPy would quietly prepend axes
    return bind("tile", x, multiples=multiples, name=name)
