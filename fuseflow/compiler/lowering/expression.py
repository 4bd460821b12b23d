"""Compile one scalar expression over same-shaped arrays (tests and inspection use it)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np
from llvmlite import ir

from fuseflow.compiler import cache
from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.irtypes import I1, I8, I64, storage_type
from fuseflow.compiler.lowering.elementwise import MATH_INTERLEAVE, interleave_loop
from fuseflow.compiler.lowering.loops import for_range
from fuseflow.compiler.scalar_ir import IRScalarBuilder, math_calls

_counter = [0]


def _emit(fn: Callable, in_dtypes: list[np.dtype], out_dtype: np.dtype, name: str) -> str:
    module = get_codegen().new_module(name)
    types = [storage_type(d).as_pointer() for d in (*in_dtypes, out_dtype)]
    func = ir.Function(module, ir.FunctionType(ir.VoidType(), types + [I64]), name)
    for arg in func.args[:-1]:
        arg.add_attribute("noalias")
    b = ir.IRBuilder(func.append_basic_block("entry"))
    sb = IRScalarBuilder(b, in_dtypes[0] if in_dtypes else out_dtype)
    with for_range(b, 0, func.args[-1]) as i:
        xs = []
        for pointer, dtype in zip(func.args, in_dtypes):
            value = b.load(b.gep(pointer, [i]))
            if dtype.kind == "b":
                value = b.icmp_unsigned("!=", value, ir.Constant(I8, 0))
            xs.append(sb.wrap(value, dtype))
        result = sb._as(fn(sb, *xs), out_dtype).value
        if result.type == I1:
            result = b.zext(result, I8)
        b.store(result, b.gep(func.args[len(in_dtypes)], [i]))
        last = b.block
    if math_calls(b):  # the same loop shape as fused kernels, for tests and inspection
        interleave_loop(last.terminator, MATH_INTERLEAVE)
    b.ret_void()
    return str(module)


def compile_expression(fn: Callable, in_dtypes, out_dtype) -> Callable[..., np.ndarray]:
    """`fn(b, *xs)` over the scalar builder, as a function of equally shaped arrays."""
    in_dtypes = [np.dtype(d) for d in in_dtypes]
    out_dtype = np.dtype(out_dtype)
    _counter[0] += 1
    name = f"ffexpr_{id(fn):x}_{_counter[0]}"
    jit = cache.load_or_compile(get_codegen(), _emit(fn, in_dtypes, out_dtype, name),
                                use_disk=False)
    argtypes = [ctypes.c_void_p] * (len(in_dtypes) + 1) + [ctypes.c_int64]
    native = ctypes.CFUNCTYPE(None, *argtypes)(jit.address(name))

    def run(*arrays: np.ndarray) -> np.ndarray:
        arrays = [np.ascontiguousarray(a, dtype=d) for a, d in zip(arrays, in_dtypes)]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        arrays = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in arrays]
        out = np.empty(shape, out_dtype)
        native(*(a.ctypes.data for a in arrays), out.ctypes.data, out.size)
        return out

    return run
