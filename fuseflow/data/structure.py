"""Elements of a dataset: nested structures (tuples, dicts, namedtuples) of NumPy leaves.

Inside the pipeline an element is a structure whose leaves are `np.ndarray`s; user code sees
the same structure with fuseflow Tensors as leaves. Lists are not structures here (as in TF's
tf.data): a list given to `from_tensor_slices` becomes one tensor, and a list returned by a
`map` function becomes a tuple.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fuseflow.core import dtypes, nest
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor, wrap


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def to_array(value, what: str = "element") -> np.ndarray:
    """One leaf as an ndarray with a fuseflow dtype (Python ints -> int32, floats -> float32)."""
    if type(value) is np.ndarray and value.dtype.kind not in "US":
        array = value
    elif isinstance(value, Tensor):
        array = value._value
    else:
        array = convert_to_tensor(value)._value
    try:
        dtypes.from_numpy(array.dtype)
    except TypeError as error:
        raise TypeError(f"{what}: {error}") from None
    return array


def normalize(value, what: str = "element"):
    """A user structure with array-like leaves -> the same structure with ndarray leaves."""
    if isinstance(value, Mapping):
        return type(value)((key, normalize(item, what)) for key, item in value.items())
    if _is_namedtuple(value):
        return type(value)(*(normalize(item, what) for item in value))
    if isinstance(value, tuple):
        return tuple(normalize(item, what) for item in value)
    return to_array(value, what)


def normalize_output(value, what: str):
    """A user function's result -> an element (lists become tuples, as TF's `map` does)."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, Mapping):
        return type(value)((key, normalize_output(item, what)) for key, item in value.items())
    if _is_namedtuple(value):
        return type(value)(*(normalize_output(item, what) for item in value))
    if isinstance(value, tuple):
        return tuple(normalize_output(item, what) for item in value)
    if value is None:
        raise TypeError(f"{what} returned None; it must return tensors or a structure of them")
    return to_array(value, what)


def normalize_lists(value):
    """The same structure with lists turned into tuples (leaves untouched)."""
    if isinstance(value, list | tuple) and not _is_namedtuple(value):
        return tuple(normalize_lists(item) for item in value)
    if isinstance(value, Mapping):
        return type(value)((key, normalize_lists(item)) for key, item in value.items())
    return value


def to_tensors(element):
    """An element with Tensor leaves (the form `for x in dataset` yields)."""
    if type(element) is np.ndarray:
        return wrap(element)
    if type(element) is tuple:
        return tuple(to_tensors(item) for item in element)
    return nest.map_structure(wrap, element)


def to_numpy(element):
    """An element with NumPy leaves; 0-d leaves become NumPy scalars (or bytes), as TF's."""
    return nest.map_structure(lambda leaf: leaf[()] if leaf.ndim == 0 else leaf, element)


def as_args(element) -> tuple:
    """User-function arguments: a tuple element is unpacked into positional arguments."""
    tensors = to_tensors(element)
    return tensors if type(tensors) is tuple else (tensors,)


def leaf_spec(array: np.ndarray) -> TensorSpec:
    return TensorSpec(array.shape, dtypes.from_numpy(array.dtype))


def spec_of(element):
    """The TensorSpec structure of one element."""
    return nest.map_structure(leaf_spec, element)


def unknown_rank_spec(dtype) -> TensorSpec:
    """A TensorSpec whose rank is unknown (`shape=<unknown>` in TF's text)."""
    spec = object.__new__(TensorSpec)
    object.__setattr__(spec, "shape", None)
    object.__setattr__(spec, "dtype", dtypes.as_dtype(dtype))
    object.__setattr__(spec, "name", None)
    return spec


def make_spec(shape, dtype) -> TensorSpec:
    """A TensorSpec that may have an unknown rank (`shape=None`)."""
    dims = TensorShape(shape).dims if not isinstance(shape, TensorShape) else shape.dims
    return unknown_rank_spec(dtype) if dims is None else TensorSpec(dims, dtype)


def relax(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    """The most specific spec both fit: dims that differ become None."""
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
        return unknown_rank_spec(a.dtype)
    return TensorSpec(tuple(x if x == y else None for x, y in zip(a.shape, b.shape)), a.dtype)


def batched_spec(spec: TensorSpec, batch_dim: int | None) -> TensorSpec:
    if spec.shape is None:
        return spec
    return TensorSpec((batch_dim, *spec.shape), spec.dtype)


def unbatched_spec(spec: TensorSpec) -> TensorSpec:
    if spec.shape is None:
        return spec
    if not spec.shape:
        raise ValueError("unbatch: every component must have rank >= 1, got a scalar "
                         f"component {spec_text(spec)}")
    return TensorSpec(spec.shape[1:], spec.dtype)


def spec_text(structure) -> str:
    """TF's text for an element_spec: `TensorSpec(shape=(), dtype=tf.int32, name=None)`."""
    if isinstance(structure, Mapping):
        return "{" + ", ".join(f"{k!r}: {spec_text(v)}" for k, v in structure.items()) + "}"
    if _is_namedtuple(structure):
        fields = ", ".join(f"{f}={spec_text(v)}" for f, v in zip(structure._fields, structure))
        return f"{type(structure).__name__}({fields})"
    if isinstance(structure, tuple):
        items = [spec_text(item) for item in structure]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return repr(structure)


def same_structure(a, b) -> bool:
    try:
        nest.assert_same_structure(a, b)
    except (ValueError, TypeError):
        return False
    return True
