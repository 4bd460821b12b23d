"""Fused elementwise kernels: one loop nest computing a whole expression DAG per element.

Broadcast inputs are read through strides (0 along broadcast dims). Dims are collapsed first, so
the common cases (same shape, scalar, bias-like suffix) become one or two loops whose innermost
accesses are contiguous or invariant: the loop vectorizer widens them for the host's SIMD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import I1, I8, I64, PTR, storage_type
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer, task_range
from fuseflow.compiler.scalar_ir import IRScalarBuilder, Scalar, lower_op, math_calls
from fuseflow.compiler.threadpool import TASK_TYPE
from fuseflow.core.registry import REGISTRY

PARALLEL_MIN_ELEMENTS = 1 << 15  # below this a second thread costs more than it saves
# Vector iterations per loop trip when the body calls exp/tanh/...: their dependency chains
# (~60 cycles) are longer than the out-of-order window can overlap one iteration at a time;
# four interleaved chains cut W4's kernel time by ~12% on AVX2 (vs 1, 2, 3, 6 and 8).
MATH_INTERLEAVE = 4


@dataclass(frozen=True)
class Entry:
    """One op of a fused expression; `args` index inputs first, then earlier entries."""

    op: str
    attrs: tuple
    args: tuple[int, ...]
    dtype: np.dtype


@dataclass(frozen=True)
class Operand:
    """A buffer a kernel reads or writes: its plan slot, shape and dtype."""

    slot: int
    shape: tuple[int, ...]
    dtype: np.dtype


@dataclass
class ElementwiseKernel:
    """`outputs[k] = entries[out_entries[k]]` over `shape`, reading `inputs` by broadcasting."""

    name: str
    shape: tuple[int, ...]
    inputs: list[Operand]
    entries: list[Entry]
    outputs: list[tuple[int, Operand]]  # (entry position, where it goes)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def parallel(self) -> bool:
        return self.size >= PARALLEL_MIN_ELEMENTS


def broadcast_strides(shape: tuple[int, ...], operand: tuple[int, ...]) -> list[int]:
    """Element strides of a C-contiguous `operand` read as if broadcast to `shape`."""
    padded = (1,) * (len(shape) - len(operand)) + tuple(operand)
    strides, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = 0 if padded[d] == 1 and shape[d] != 1 else step
        step *= padded[d]
    return strides


def collapse(shape, operand_strides: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Drop size-1 dims and merge neighbours every operand walks contiguously."""
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    sizes: list[int] = []
    strides: list[list[int]] = [[] for _ in operand_strides]
    for d in dims:
        if sizes and all(s[-1] == o[d] * shape[d] for s, o in zip(strides, operand_strides)):
            sizes[-1] *= shape[d]
            for s, o in zip(strides, operand_strides):
                s[-1] = o[d]
            continue
        sizes.append(shape[d])
        for s, o in zip(strides, operand_strides):
            s.append(o[d])
    if not sizes:  # a single element
        return [1], [[0] for _ in operand_strides]
    return sizes, strides


def _load(b: ir.IRBuilder, pointer, offset, dtype: np.dtype, sb: IRScalarBuilder) -> Scalar:
    value = b.load(b.gep(pointer, [offset]))
    if dtype.kind == "b":
        value = b.icmp_unsigned("!=", value, ir.Constant(I8, 0))
    return sb.wrap(value, dtype)


def _store(b: ir.IRBuilder, value: Scalar, pointer, offset) -> None:
    raw = value.value
    if raw.type == I1:
        raw = b.zext(raw, I8)
    b.store(raw, b.gep(pointer, [offset]))


def emit_expression(b: ir.IRBuilder, entries: list[Entry], inputs: list[Scalar]) -> list[Scalar]:
    """Emit every entry of a fused expression; returns inputs followed by entry values."""
    values = list(inputs)
    for entry in entries:
        args = [values[a] for a in entry.args]
        values.append(lower_op(REGISTRY[entry.op], b, args, dict(entry.attrs), entry.dtype))
    return values


class _Body:
    """Emits the loop nest of one kernel over [lo, hi) of its outermost collapsed dim."""

    def __init__(self, kernel: ElementwiseKernel, module: ir.Module):
        self.k = kernel
        operands = [op.shape for op in kernel.inputs] + [op.shape for _, op in kernel.outputs]
        per_operand = [broadcast_strides(kernel.shape, s) for s in operands]
        self.sizes, self.strides = collapse(kernel.shape, per_operand)
        self.dtypes = [op.dtype for op in kernel.inputs] + [op.dtype for _, op in kernel.outputs]
        ptr_types = [storage_type(dt).as_pointer() for dt in self.dtypes]
        fnty = ir.FunctionType(ir.VoidType(), ptr_types + [I64, I64])
        self.fn = ir.Function(module, fnty, f"{kernel.name}.body")
        self.fn.linkage = "internal"
        for arg in self.fn.args[:len(ptr_types)]:
            arg.add_attribute("noalias")

    def emit(self) -> ir.Function:
        b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        pointers = self.fn.args[:len(self.dtypes)]
        lo, hi = self.fn.args[-2:]
        offsets = [i64(0)] * len(pointers)
        self._level(b, 0, lo, hi, pointers, offsets)
        b.ret_void()
        return self.fn

    def _level(self, b, depth, lo, hi, pointers, offsets):
        calls = 0
        with for_range(b, lo, hi, name=f"i{depth}") as i:
            here = [b.add(off, b.mul(i, i64(st[depth]))) if st[depth] else off
                    for off, st in zip(offsets, self.strides)]
            if depth + 1 < len(self.sizes):
                self._level(b, depth + 1, i64(0), i64(self.sizes[depth + 1]), pointers, here)
            else:
                calls = self._element(b, pointers, here)
            last = b.block
        if calls:
            interleave_loop(last.terminator, MATH_INTERLEAVE)

    def _element(self, b, pointers, offsets) -> int:
        """Emit one element's loads, expression and stores; returns its math-call count."""
        k = self.k
        sb = IRScalarBuilder(b, k.entries[0].dtype if k.entries else np.float32)
        before = math_calls(b)
        n_in = len(k.inputs)
        loaded = [_load(b, pointers[j], offsets[j], op.dtype, sb)
                  for j, op in enumerate(k.inputs)]
        values = emit_expression(b, k.entries, loaded)
        for j, (entry, _) in enumerate(k.outputs):
            _store(b, values[n_in + entry], pointers[n_in + j], offsets[n_in + j])
        return math_calls(b) - before


def interleave_loop(back_edge: ir.Instruction, count: int) -> None:
    """Ask the loop vectorizer to interleave the loop closed by `back_edge` `count` times."""
    module = back_edge.module
    hint = module.add_metadata([ir.MetaDataString(module, "llvm.loop.interleave.count"),
                                ir.Constant(ir.IntType(32), count)])
    # A loop ID is a node whose first operand is itself; llvmlite builds nodes from their
    # operands, so the self-reference is patched in afterwards.
    loop_id = module.add_metadata([hint, ir.MetaDataString(module, f"ff.loop.{id(back_edge)}")])
    loop_id.operands = (loop_id, hint)
    back_edge.set_metadata("llvm.loop", loop_id)


def emit_elementwise(kernel: ElementwiseKernel, module: ir.Module) -> ir.Function:
    """Emit the kernel as a pool task `void (i8* items, i64 task, i64 ntasks)`."""
    nest = _Body(kernel, module)
    body = nest.emit()
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    operands = list(kernel.inputs) + [op for _, op in kernel.outputs]
    pointers = [slot_pointer(b, items, op.slot, op.dtype) for op in operands]
    # Split the outermost dim between tasks; a flat loop splits at cache-line multiples.
    align = 64 if len(nest.sizes) == 1 else 1
    lo, hi = task_range(b, nest.sizes[0], task.args[1], task.args[2], align)
    b.call(body, pointers + [lo, hi])
    b.ret_void()
    return task
