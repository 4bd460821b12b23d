"""LLVM IR types for NumPy dtypes, and small helpers that work on scalars and vectors alike."""

from __future__ import annotations

import numpy as np
from llvmlite import ir

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
PTR = ir.PointerType(I8)

_STORAGE = {"f4": F32, "f8": F64, "i1": I8, "i2": ir.IntType(16), "i4": I32, "i8": I64,
            "u1": I8, "b1": I8}


def storage_type(dtype: np.dtype) -> ir.Type:
    """The IR type a NumPy dtype is stored as (bool is a byte)."""
    dtype = np.dtype(dtype)
    key = f"{dtype.kind}{dtype.itemsize}"
    if key not in _STORAGE:
        raise NotImplementedError(f"no native type for dtype {dtype}")
    return _STORAGE[key]


def value_type(dtype: np.dtype) -> ir.Type:
    """The IR type values of a dtype have in expressions (bool is i1)."""
    dtype = np.dtype(dtype)
    return I1 if dtype.kind == "b" else storage_type(dtype)


def scalar_of(ty: ir.Type) -> ir.Type:
    return ty.element if isinstance(ty, ir.VectorType) else ty


def with_element(ty: ir.Type, element: ir.Type) -> ir.Type:
    """`element`, or a vector of it as wide as `ty` when `ty` is a vector."""
    return ir.VectorType(element, ty.count) if isinstance(ty, ir.VectorType) else element


def is_double(ty: ir.Type) -> bool:
    return isinstance(scalar_of(ty), ir.DoubleType)


def int_like(ty: ir.Type) -> ir.Type:
    """The integer type with the width (and lane count) of a float type."""
    return with_element(ty, I64 if is_double(ty) else I32)


def const(ty: ir.Type, value) -> ir.Constant:
    """A constant of `ty`, splatted when `ty` is a vector."""
    if isinstance(ty, ir.VectorType):
        return ir.Constant(ty, [ir.Constant(ty.element, value)] * ty.count)
    return ir.Constant(ty, value)


def mangle(ty: ir.Type) -> str:
    """The type suffix of an overloaded intrinsic's name (`f32`, `v8f32`, `i64`)."""
    if isinstance(ty, ir.VectorType):
        return f"v{ty.count}{mangle(ty.element)}"
    if isinstance(ty, ir.FloatType):
        return "f32"
    if isinstance(ty, ir.DoubleType):
        return "f64"
    if isinstance(ty, ir.IntType):
        return f"i{ty.width}"
    raise NotImplementedError(f"no intrinsic suffix for {ty}")
