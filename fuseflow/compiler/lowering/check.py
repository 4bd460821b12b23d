"""Whether an elementwise op lowers natively for given dtypes (a dry run, memoized)."""

from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import value_type
from fuseflow.compiler.scalar_ir import IRScalarBuilder, LoweringUnsupported, lower_op
from fuseflow.core.registry import REGISTRY, OpKind

NATIVE_KINDS = frozenset("fiub")


def native_dtype(dtype) -> bool:
    """True for dtypes kernels can load and store (no float16, no strings)."""
    dtype = np.dtype(dtype)
    return dtype.kind in NATIVE_KINDS and not (dtype.kind == "f" and dtype.itemsize == 2)


@functools.lru_cache(maxsize=4096)
def lowers(op: str, attrs: tuple, in_dtypes: tuple, out_dtype) -> bool:
    """True when `op`'s scalar expression emits IR for these dtypes."""
    opdef = REGISTRY[op]
    if opdef.kind is not OpKind.ELEMENTWISE or not callable(opdef.lower):
        return False
    if not all(native_dtype(d) for d in (*in_dtypes, out_dtype)):
        return False
    module = ir.Module("check")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), []), "check")
    builder = ir.IRBuilder(fn.append_basic_block())
    scratch = IRScalarBuilder(builder, np.dtype(out_dtype))
    args = [scratch.wrap(ir.Constant(value_type(d), None), np.dtype(d)) for d in in_dtypes]
    try:
        lower_op(opdef, builder, args, dict(attrs), np.dtype(out_dtype))
    except (LoweringUnsupported, TypeError, AttributeError, ValueError):
        return False
    return True
