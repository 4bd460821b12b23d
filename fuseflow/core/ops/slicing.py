"""`tensor[...]`: NumPy-style indexing lowered to strided_slice, gather and boolean_mask.

The strided_slice op carries one canonical attr, `index`: a tuple with one entry per output
position, each an int (take that element, dropping the axis), `None` (insert an axis of size 1)
or `(start, stop, step)` (a slice; start/stop may be None). Int and slice entries consume the
input's axes in order and cover all of them, so equal indexing gives equal attrs.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

FULL = (None, None, 1)
newaxis = export("newaxis")(None)


def _numpy_key(index: tuple) -> tuple:
    return tuple(slice(*e) if type(e) is tuple else e for e in index)


def _strided_slice_infer(x: TensorSpec, *, index: tuple) -> TensorSpec:
    shape, axis = [], 0
    for entry in index:
        if entry is None:
            shape.append(1)
            continue
        if axis >= x.rank:
            raise InvalidArgumentError("strided_slice", f"Index {index} has too many entries "
                                       f"for a tensor of shape {list(x.shape)}")
        dim = x.shape[axis]
        axis += 1
        if type(entry) is not tuple:
            if dim is not None and not -dim <= entry < dim:
                raise InvalidArgumentError("strided_slice", f"slice index {entry} of dimension "
                                           f"{axis - 1} out of bounds (shape {list(x.shape)})")
            continue
        if entry[2] == 0:
            raise InvalidArgumentError("strided_slice", "slice step cannot be zero")
        shape.append(None if dim is None else len(range(*slice(*entry).indices(dim))))
    if axis != x.rank:
        raise InvalidArgumentError("strided_slice", f"index {index} covers {axis} axes of a "
                                   f"tensor of rank {x.rank}")
    return TensorSpec(tuple(shape), x.dtype)


def _strided_slice_grad_impl(g, like, *, index):
    out = np.zeros(like.shape, dtype=g.dtype)
    key = _numpy_key(tuple(e for e in index if e is not None))
    out[key] = g.reshape(out[key].shape)
    return out


define_op("strided_slice", kind=OpKind.MOVEMENT, infer=_strided_slice_infer,
          impl=lambda x, *, index: np.asarray(x[_numpy_key(index)]),
          grad=lambda g, y, x, *, index: (bind("strided_slice_grad", g, x, index=index),))
define_op("strided_slice_grad", kind=OpKind.MOVEMENT,
          infer=lambda g, like, *, index: TensorSpec(like.shape, g.dtype),
          impl=_strided_slice_grad_impl,
          grad=lambda h, y, g, like, *, index: (bind("strided_slice", h, index=index), None))


# -- canonical index -------------------------------------------------------------------------------

def _as_int(value, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, Tensor):
        if type(value) is not Tensor:
            raise TypeError(f"strided_slice: {what} must be known when tracing, got a symbolic "
                            "tensor")
        value = value.numpy()
    try:
        return int(value.__index__())
    except (AttributeError, TypeError):
        raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) "
                        f"and scalar tf.int32/tf.int64 tensors are valid indices, got "
                        f"{value!r}") from None


def _basic_entry(entry):
    if isinstance(entry, slice):
        step = _as_int(entry.step, "step")
        return (_as_int(entry.start, "start"), _as_int(entry.stop, "stop"),
                1 if step is None else step)
    return _as_int(entry, "index")


def canonical_index(key: tuple, rank: int) -> tuple:
    """The `index` attr for a tuple of ints, slices, None and at most one Ellipsis."""
    consumed = sum(1 for e in key if e is not None and e is not Ellipsis)
    if sum(1 for e in key if e is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > rank:
        raise InvalidArgumentError("strided_slice", f"Index has {consumed} entries for a tensor "
                                   f"of rank {rank}")
    out = []
    for entry in key:
        if entry is Ellipsis:
            out.extend([FULL] * (rank - consumed))
        else:
            out.append(None if entry is None else _basic_entry(entry))
    if Ellipsis not in key:
        out.extend([FULL] * (rank - consumed))
    return tuple(out)


def _strided(x: Tensor, index: tuple, name=None) -> Tensor:
    if all(e == FULL for e in index):
        return x
    return bind("strided_slice", x, index=index, name=name)


# -- public functions ----------------------------------------------------------------------------

def _bit(mask: int, i: int) -> bool:
    return bool(mask >> i & 1)


@export("strided_slice")
def strided_slice(input_, begin, end, strides=None, begin_mask: int = 0, end_mask: int = 0,
                  ellipsis_mask: int = 0, new_axis_mask: int = 0, shrink_axis_mask: int = 0,
                  var=None, name=None) -> Tensor:
    """Slice `input_` with per-axis begin/end/strides and TF's bit masks."""
    x = convert_to_tensor(input_)
    begin, end = _ints(begin), _ints(end)
    strides = [1] * len(begin) if strides is None else _ints(strides)
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        if _bit(ellipsis_mask, i):
            key.append(Ellipsis)
        elif _bit(new_axis_mask, i):
            key.append(None)
        elif _bit(shrink_axis_mask, i):
            key.append(b)
        else:
            key.append(slice(None if _bit(begin_mask, i) else b,
                             None if _bit(end_mask, i) else e, s))
    return _strided(x, canonical_index(tuple(key), x.ndim), name)


def _ints(values) -> list[int]:
    if isinstance(values, Tensor):
        values = values.numpy()
    return [int(v) for v in np.asarray(values).reshape(-1)]


@export("slice")
def slice_(input_, begin, size, name=None) -> Tensor:
    """Take `size[i]` elements from `begin[i]` on each axis (-1: everything after begin)."""
    x = convert_to_tensor(input_)
    begin, size = _ints(begin), _ints(size)
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise InvalidArgumentError("slice", f"begin {begin} and size {size} must both have "
                                   f"{x.ndim} entries for shape {list(x.shape)}")
    key = []
    for axis, (b, s, d) in enumerate(zip(begin, size, x.shape)):
        stop = d if s == -1 else b + s
        if b < 0 or s < -1 or (d is not None and stop is not None and stop > d):
            raise InvalidArgumentError("slice", f"Expected begin[{axis}] = {b} and size[{axis}] "
                                       f"= {s} to lie within dimension {d} "
                                       f"(shape {list(x.shape)})")
        key.append(slice(b, None if s == -1 else b + s))
    return _strided(x, canonical_index(tuple(key), x.ndim), name)


# -- __getitem__ -----------------------------------------------------------------------------------

def _is_advanced(entry) -> bool:
    if isinstance(entry, Tensor):
        return entry.ndim > 0 or type(entry) is not Tensor or entry.dtype.is_bool
    return isinstance(entry, list | np.ndarray) and np.ndim(entry) > 0


def getitem(tensor, key):
    """Index `tensor` like a NumPy array (ints, slices, steps, ..., None, int tensors)."""
    x = convert_to_tensor(tensor)
    if type(key) is int and x.ndim:  # the common x[i]: skip the general canonicalisation
        return bind("strided_slice", x, index=(key,) + (FULL,) * (x.ndim - 1))
    key = key if isinstance(key, tuple) else (key,)
    advanced = [i for i, e in enumerate(key) if _is_advanced(e)]
    if not advanced:
        return _strided(x, canonical_index(key, x.ndim))
    if len(advanced) > 1:
        raise TypeError("fuseflow supports one integer-tensor or boolean index per "
                        f"indexing expression, got {len(advanced)}")
    return _advanced_getitem(x, key, advanced[0])


def _adjacent_to_ints(key: tuple, position: int) -> bool:
    """True when the int entries and the index array form one run (NumPy's rule)."""
    run = [i for i, e in enumerate(key) if i == position or _is_int(e)]
    return run[-1] - run[0] == len(run) - 1


def _is_int(entry) -> bool:
    return isinstance(entry, int | np.integer) or (isinstance(entry, Tensor) and entry.ndim == 0
                                                    and not entry.dtype.is_bool)


def _advanced_getitem(x: Tensor, key: tuple, position: int) -> Tensor:
    from fuseflow.core.ops.gather import boolean_mask, gather

    index = convert_to_tensor(key[position])
    mask_dims = index.ndim if index.dtype.is_bool else 1
    basic = key[:position] + (slice(None),) * mask_dims + key[position + 1:]
    # Where the advanced axis lands in the basic result: dims produced by entries before it.
    before = key[:position]
    axis = sum(1 for e in before if e is None or isinstance(e, slice))
    if Ellipsis in before:
        consumed = sum(1 for e in basic if e is not None and e is not Ellipsis)
        axis += x.ndim - consumed
    y = _strided(x, canonical_index(basic, x.ndim))
    out = boolean_mask(y, index, axis=axis) if index.dtype.is_bool else gather(y, index, axis=axis)
    if axis and not _adjacent_to_ints(key, position):
        # NumPy puts the dims of an index array separated from the integer indices first.
        from fuseflow.core.ops.movement import transpose

        moved = list(range(axis, axis + (1 if index.dtype.is_bool else index.ndim)))
        rest = [i for i in range(out.ndim) if i not in moved]
        out = transpose(out, moved + rest)
    return out
