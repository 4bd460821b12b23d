"""Data types: TF's names and reprs over NumPy dtypes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class DType:
    """A tensor element type, named as TensorFlow names it (`float32`, `int32`, ...)."""

    name: str
    np_dtype: np.dtype

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if isinstance(other, DType):
            return self.name == other.name
        try:
            return self.name == as_dtype(other).name
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def as_numpy_dtype(self) -> type:
        """The NumPy scalar type (`np.float32`)."""
        return self.np_dtype.type

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def is_floating(self) -> bool:
        return self.np_dtype.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.np_dtype.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self.np_dtype.kind == "u"

    @property
    def is_bool(self) -> bool:
        return self.np_dtype.kind == "b"

    @property
    def is_numeric(self) -> bool:
        return self.np_dtype.kind in "fiu"

    @property
    def size(self) -> int:
        return self.np_dtype.itemsize

    @property
    def min(self):
        """The smallest representable value."""
        return _limits(self).min

    @property
    def max(self):
        """The largest representable value."""
        return _limits(self).max

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)


def _limits(dtype: DType):
    if dtype.is_floating:
        return np.finfo(dtype.np_dtype)
    if dtype.is_integer:
        return np.iinfo(dtype.np_dtype)
    raise TypeError(f"{dtype.name} has no min/max")


float16 = DType("float16", np.dtype(np.float16))
float32 = DType("float32", np.dtype(np.float32))
float64 = DType("float64", np.dtype(np.float64))
int8 = DType("int8", np.dtype(np.int8))
int16 = DType("int16", np.dtype(np.int16))
int32 = DType("int32", np.dtype(np.int32))
int64 = DType("int64", np.dtype(np.int64))
uint8 = DType("uint8", np.dtype(np.uint8))
bool_ = DType("bool", np.dtype(np.bool_))
string = DType("string", np.dtype(object))

half, double = float16, float64
ALL_DTYPES = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_, string)
_BY_NAME = {d.name: d for d in ALL_DTYPES} | {"half": float16, "double": float64}
_BY_NUMPY = {d.np_dtype: d for d in ALL_DTYPES}


def as_dtype(value) -> DType:
    """Convert a DType, a name (`'float32'`), a NumPy dtype or a Python type to a DType."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        raise TypeError(f"Cannot convert {value!r} to a fuseflow DType")
    if value is bool:
        return bool_
    if value is int:
        return int32
    if value is float:
        return float32
    if value is str or value is bytes:
        return string
    try:
        np_dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to a fuseflow DType") from None
    return from_numpy(np_dtype)


def from_numpy(np_dtype: np.dtype) -> DType:
    """The DType of a NumPy dtype; strings and bytes become `string`."""
    found = _BY_NUMPY.get(np_dtype)
    if found is not None:
        return found
    if np_dtype.kind in "USO":
        return string
    raise TypeError(f"fuseflow has no dtype for NumPy's {np_dtype}")
