"""one_hot as a native kernel (gather still runs on NumPy: see the module's report).

one_hot writes out[o, d, n] = on if indices[o, n] == d else off, where `o` runs over the index
dims before `axis` and `n` over those after it; an out-of-range index gives an all-off row, as
the NumPy op (and TF) do, so no error path is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import PTR, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer
from fuseflow.compiler.threadpool import TASK_TYPE


@dataclass
class OneHotKernel:
    """out [outer, depth, inner] from indices [outer, inner]."""

    name: str
    indices: Operand
    out: Operand
    outer: int
    depth: int
    inner: int
    on: object
    off: object

    parallel = False

    def read_slots(self) -> list[int]:
        return [self.indices.slot]

    def written_slots(self) -> list[int]:
        return [self.out.slot]


def _constant(ty: ir.Type, value) -> ir.Constant:
    return ir.Constant(ty, int(value) if isinstance(ty, ir.IntType) else float(value))


def emit_one_hot(kernel: OneHotKernel, module: ir.Module) -> ir.Function:
    """The kernel as a single-task pool function."""
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    idx = slot_pointer(b, items, kernel.indices.slot, kernel.indices.dtype)
    out = slot_pointer(b, items, kernel.out.slot, kernel.out.dtype)
    ty = storage_type(kernel.out.dtype)
    on, off = _constant(ty, kernel.on), _constant(ty, kernel.off)
    with for_range(b, 0, kernel.outer, "o") as o:
        with for_range(b, 0, kernel.depth, "d") as d:
            row = b.mul(b.add(b.mul(o, i64(kernel.depth)), d), i64(kernel.inner))
            with for_range(b, 0, kernel.inner, "n") as n:
                value = b.load(b.gep(idx, [b.add(b.mul(o, i64(kernel.inner)), n)]))
                wide = b.sext(value, d.type) if value.type.width < 64 else value
                hit = b.icmp_signed("==", wide, d)
                b.store(b.select(hit, on, off), b.gep(out, [b.add(row, n)]))
    b.ret_void()
    return task


def plan_one_hot(builder, node: int) -> bool:
    """Plan one_hot natively for signed integer indices."""
    graph = builder.graph
    indices = builder._operand(*graph.input_edges(node)[0])
    attrs = graph.attrs(node)
    if indices.dtype.kind != "i":
        return False
    spec = builder.specs[node]
    axis = attrs["axis"]
    outer = int(np.prod(indices.shape[:axis], dtype=np.int64))
    inner = int(np.prod(indices.shape[axis:], dtype=np.int64))
    out = Operand(builder._result_slot(node), tuple(spec.shape), spec.dtype.np_dtype)
    kernel = OneHotKernel(builder._kernel_name("one_hot"), indices, out, outer, attrs["depth"],
                          inner, attrs["on_value"], attrs["off_value"])
    builder._add_kernel(kernel, [node])
    return True


def plan_gather(builder, node: int) -> bool:
    """Plan gather natively (not yet: NumPy runs it)."""
    return False
