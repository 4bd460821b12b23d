"""TensorShape (dims may be unknown) and TensorSpec (a shape and a dtype)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fuseflow.core.dtypes import DType, as_dtype


class TensorShape:
    """A shape whose rank and dims may be unknown (`None`), like `tf.TensorShape`."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Iterable[int | None] | TensorShape | None):
        if isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif dims is None:
            self._dims = None
        else:
            self._dims = tuple(None if d is None else int(d) for d in dims)

    @property
    def dims(self) -> tuple[int | None, ...] | None:
        return self._dims

    @property
    def rank(self) -> int | None:
        return None if self._dims is None else len(self._dims)

    @property
    def ndims(self) -> int | None:
        return self.rank

    def as_list(self) -> list[int | None]:
        """The dims as a list; raises ValueError for an unknown rank, as TF does."""
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self) -> int | None:
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_compatible_with(self, other) -> bool:
        """True when every known dim agrees (unknown dims match anything)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other) -> TensorShape:
        """The most specific shape compatible with both; ValueError if they conflict."""
        other = as_shape(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        return TensorShape(a if a is not None else b for a, b in zip(self._dims, other._dims))

    def concatenate(self, other) -> TensorShape:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key):
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self) -> int:
        return hash(self._dims)

    def __bool__(self) -> bool:
        return self._dims is not None

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({self._dims[0]},)"
        return "(" + ", ".join(str(d) for d in self._dims) + ")"


def as_shape(value) -> TensorShape:
    """Convert a TensorShape, tuple, list or None to a TensorShape."""
    if isinstance(value, TensorShape):
        return value
    if isinstance(value, int):
        return TensorShape((value,))
    return TensorShape(value)


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """The static description of a tensor: a shape (dims may be None) and a dtype.

    `shape` is a plain tuple so specs hash and compare cheaply (graph nodes and trace keys use
    them); `TensorShape` is the user-facing view.
    """

    shape: tuple[int | None, ...]
    dtype: DType
    name: str | None = None

    def __init__(self, shape, dtype=None, name: str | None = None):
        from fuseflow.core import dtypes

        dims = as_shape(shape).dims
        if dims is None:
            raise ValueError("TensorSpec needs a known rank")
        object.__setattr__(self, "shape", dims)
        object.__setattr__(self, "dtype", dtypes.float32 if dtype is None else as_dtype(dtype))
        object.__setattr__(self, "name", name)

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def num_elements(self) -> int | None:
        n = 1
        for d in self.shape:
            if d is None:
                return None
            n *= d
        return n

    def with_shape(self, shape) -> TensorSpec:
        return TensorSpec(shape, self.dtype)

    def with_dtype(self, dtype) -> TensorSpec:
        return TensorSpec(self.shape, dtype)

    def is_compatible_with(self, other) -> bool:
        """True when dtypes are equal and `other`'s shape fits this spec's (None dims match)."""
        shape = getattr(other, "shape", None)
        dtype = getattr(other, "dtype", None)
        return as_dtype(dtype) == self.dtype and TensorShape(self.shape).is_compatible_with(shape)

    def __repr__(self) -> str:
        return (f"TensorSpec(shape={TensorShape(self.shape)}, dtype={self.dtype!r}, "
                f"name={self.name!r})")

    def short(self) -> str:
        """Compact text such as `f32[?,784]`, used in printed graphs and errors."""
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{short_dtype(self.dtype)}[{dims}]"


_SHORT = {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16",
          "int32": "i32", "int64": "i64", "uint8": "u8", "bool": "bool", "string": "str"}


def short_dtype(dtype: DType) -> str:
    return _SHORT[dtype.name]
