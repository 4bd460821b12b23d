"""One LLVM module per plan: its kernels, and one entry function per native segment.

A segment entry takes the call's Python list of ndarrays (`PyObject*`), reads the items and
each array's data pointer itself, and runs its kernels in order (parallel ones through the
thread pool). The first segment first checks every argument and variable array against the
plan (exact ndarray type, rank, dims, C-contiguous + aligned flags, dtype) and returns
`slot + 1` on the first mismatch, so a Python call pays no per-array checks in the common case.

A timed build (`build_module(..., timed=True)`) also reads CLOCK_MONOTONIC after each kernel and
adds the nanoseconds since the previous reading to that kernel's entry of `<prefix>_ktimes`.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import I8, I32, I64, PTR
from fuseflow.compiler.lowering.conv import Im2colKernel, emit_im2col
from fuseflow.compiler.lowering.elementwise import ElementwiseKernel, emit_elementwise
from fuseflow.compiler.lowering.gather import GatherKernel, OneHotKernel, emit_gather, emit_one_hot
from fuseflow.compiler.lowering.kernel_error import error_word
from fuseflow.compiler.lowering.loops import i64
from fuseflow.compiler.lowering.movement import CopyKernel, emit_copy
from fuseflow.compiler.lowering.pool import PoolKernel, emit_pool
from fuseflow.compiler.lowering.reduction import (
    ArgKernel,
    ReductionKernel,
    emit_arg,
    emit_reduction,
)
from fuseflow.compiler.lowering.softmax import (
    SoftmaxKernel,
    SoftmaxXentKernel,
    emit_softmax,
    emit_softmax_xent,
)
from fuseflow.compiler.matmul import MatmulKernel, emit_matmul
from fuseflow.compiler.plan import ARG, VAR, Plan, PyCall
from fuseflow.compiler.threadpool import PARALLEL_NAME, TASK_TYPE

CLOCK_MONOTONIC = 1
TIMES_SUFFIX = "_ktimes"  # the timed build's per-kernel nanosecond counters (i64, plan order)
LIST_ITEMS_OFFSET = 24  # PyListObject.ob_item
TYPE_OFFSET, ND_OFFSET, DIMS_OFFSET, DESCR_OFFSET, FLAGS_OFFSET = 8, 24, 32, 56, 64
REQUIRED_FLAGS = 0x1 | 0x100  # NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED

EMITTERS = {ElementwiseKernel: emit_elementwise, MatmulKernel: emit_matmul,
            ReductionKernel: emit_reduction, SoftmaxXentKernel: emit_softmax_xent,
            Im2colKernel: emit_im2col, PoolKernel: emit_pool, ArgKernel: emit_arg,
            CopyKernel: emit_copy, SoftmaxKernel: emit_softmax,
            OneHotKernel: emit_one_hot, GatherKernel: emit_gather}


def register_emitter(kernel_type: type, emit) -> None:
    """Add the IR emitter for a kernel type (`emit(kernel, module) -> task function`)."""
    EMITTERS[kernel_type] = emit


def segments(plan: Plan) -> list[list]:
    """Steps split at NumPy fallbacks: [kernels], fallback, [kernels], ... (first is kernels)."""
    out: list = [[]]
    for step in plan.steps:
        if isinstance(step, PyCall):
            out.append(step)
            out.append([])
        else:
            out[-1].append(step)
    return out


def dtype_table(plan: Plan) -> list[np.dtype]:
    """The dtypes whose descriptor addresses the checks compare against (order fixed)."""
    seen: list[np.dtype] = []
    for slot in plan.slots:
        if slot.role in (ARG, VAR) and slot.dtype not in seen:
            seen.append(slot.dtype)
    return seen


def entry_names(plan: Plan, prefix: str) -> list[str]:
    """The exported symbol of each kernel segment, in order (known without building the IR)."""
    return [f"{prefix}_seg{index}" for index, seg in enumerate(segments(plan))
            if isinstance(seg, list)]


def native_steps(plan: Plan) -> list:
    """The plan's native kernels in order (the timed build's counter index)."""
    return [step for step in plan.steps if not isinstance(step, PyCall)]


class _ModuleBuilder:
    def __init__(self, codegen, plan: Plan, prefix: str, timed: bool = False):
        self.plan = plan
        self.timed = timed
        self.kernel_index = 0
        self.prefix = prefix
        self.module = codegen.new_module(prefix)
        self.dtypes = dtype_table(plan)
        table_ty = ir.ArrayType(I64, 1 + len(self.dtypes))
        self.table = ir.GlobalVariable(self.module, table_ty, f"{prefix}_types")
        self.table.initializer = ir.Constant(table_ty, None)
        self.parallel = ir.Function(self.module, ir.FunctionType(
            ir.VoidType(), [TASK_TYPE.as_pointer(), PTR]), PARALLEL_NAME)
        if timed:
            count = max(1, len(native_steps(plan)))
            self.times = ir.GlobalVariable(self.module, ir.ArrayType(I64, count),
                                           prefix + TIMES_SUFFIX)
            self.times.initializer = ir.Constant(ir.ArrayType(I64, count), None)
            timespec = ir.LiteralStructType([I64, I64])
            self.clock = ir.Function(self.module, ir.FunctionType(
                I32, [I32, timespec.as_pointer()]), "clock_gettime")
            self.timespec = timespec

    def build(self) -> list[str]:
        kernel_lists = [seg for seg in segments(self.plan) if isinstance(seg, list)]
        names = entry_names(self.plan, self.prefix)
        for index, (name, seg) in enumerate(zip(names, kernel_lists)):
            self._segment(name, seg, check=index == 0)
        return names

    def _segment(self, name: str, kernels: list, check: bool) -> None:
        tasks = []
        for kernel in kernels:  # kernel functions are internal: module-local names suffice
            tasks.append((EMITTERS[type(kernel)](kernel, self.module), kernel.parallel,
                          getattr(kernel, "may_fail", False)))
        fn = ir.Function(self.module, ir.FunctionType(I32, [PTR]), name)
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        field = b.gep(fn.args[0], [i64(LIST_ITEMS_OFFSET)])
        items = b.load(b.bitcast(field, PTR.as_pointer().as_pointer()), name="items")
        if check:
            self._checks(b, fn, items)
        ctx = b.bitcast(items, PTR)
        clock = self._start_clock(b) if self.timed else None
        for task, parallel, may_fail in tasks:
            if parallel:
                b.call(self.parallel, [task, ctx])
            else:
                b.call(task, [ctx, i64(0), i64(1)])
            if clock is not None:
                clock = self._lap(b, clock)
            if may_fail:
                self._stop_on_error(b, fn)
        b.ret(ir.Constant(I32, 0))

    def _now(self, b: ir.IRBuilder, spec):
        b.call(self.clock, [ir.Constant(I32, CLOCK_MONOTONIC), spec])
        seconds = b.load(b.gep(spec, [ir.Constant(I32, 0), ir.Constant(I32, 0)]))
        nanos = b.load(b.gep(spec, [ir.Constant(I32, 0), ir.Constant(I32, 1)]))
        return b.add(b.mul(seconds, i64(1_000_000_000)), nanos)

    def _start_clock(self, b: ir.IRBuilder):
        spec = b.alloca(self.timespec)
        return spec, self._now(b, spec)

    def _lap(self, b: ir.IRBuilder, clock):
        """Charge the time since the last reading to the kernel just run."""
        spec, before = clock
        now = self._now(b, spec)
        where = b.gep(self.times, [ir.Constant(I32, 0), ir.Constant(I32, self.kernel_index)])
        b.store(b.add(b.load(where), b.sub(now, before)), where)
        self.kernel_index += 1
        return spec, now

    def _stop_on_error(self, b: ir.IRBuilder, fn) -> None:
        """Return -code when the kernel just run set the error word (and clear the word)."""
        word = error_word(self.module)
        code = b.load(word)
        failed, fine = fn.append_basic_block("failed"), fn.append_basic_block("fine")
        b.cbranch(b.icmp_signed("!=", code, ir.Constant(I32, 0)), failed, fine)
        b.position_at_end(failed)
        b.store(ir.Constant(I32, 0), word)
        b.ret(b.neg(code))
        b.position_at_end(fine)

    def _field(self, b, obj, offset: int, ty):
        return b.load(b.bitcast(b.gep(obj, [i64(offset)]), ty.as_pointer()))

    def _checks(self, b: ir.IRBuilder, fn, items) -> None:
        for index, slot in enumerate(self.plan.slots):
            if slot.role not in (ARG, VAR):
                continue
            obj = b.load(b.gep(items, [i64(index)]), name=f"obj{index}")
            ok = b.icmp_unsigned("==", self._field(b, obj, TYPE_OFFSET, I64), self._table(b, 0))
            good, bad = fn.append_basic_block(f"ok{index}"), fn.append_basic_block(f"bad{index}")
            b.cbranch(ok, good, bad)
            b.position_at_end(bad)
            b.ret(ir.Constant(I32, index + 1))
            b.position_at_end(good)
            conds = [b.icmp_signed("==", self._field(b, obj, ND_OFFSET, I32),
                                   ir.Constant(I32, len(slot.shape)))]
            flags = self._field(b, obj, FLAGS_OFFSET, I32)
            masked = b.and_(flags, ir.Constant(I32, REQUIRED_FLAGS))
            conds.append(b.icmp_signed("==", masked, ir.Constant(I32, REQUIRED_FLAGS)))
            descr = self._field(b, obj, DESCR_OFFSET, I64)
            table_index = 1 + self.dtypes.index(slot.dtype)
            conds.append(b.icmp_unsigned("==", descr, self._table(b, table_index)))
            ok = conds[0]
            for cond in conds[1:]:
                ok = b.and_(ok, cond)
            dims_ok = fn.append_basic_block(f"rank{index}")
            b.cbranch(ok, dims_ok, bad)
            b.position_at_end(dims_ok)
            self._check_dims(b, fn, obj, slot.shape, bad, index)

    def _check_dims(self, b, fn, obj, shape, bad, index) -> None:
        if not shape:
            return
        dims = self._field(b, obj, DIMS_OFFSET, I64.as_pointer())
        ok = None
        for d, size in enumerate(shape):
            cond = b.icmp_signed("==", b.load(b.gep(dims, [i64(d)])), i64(size))
            ok = cond if ok is None else b.and_(ok, cond)
        good = fn.append_basic_block(f"dims{index}")
        b.cbranch(ok, good, bad)
        b.position_at_end(good)

    def _table(self, b, index: int):
        return b.load(b.gep(self.table, [ir.Constant(I32, 0), ir.Constant(I32, index)]))


def build_module(codegen, plan: Plan, prefix: str, timed: bool = False) -> tuple[str, list[str]]:
    """IR text of the plan's module and the names of its segment entries, in order.

    `timed` adds per-kernel clock readings (a profiling build; kept out of normal builds).
    """
    builder = _ModuleBuilder(codegen, plan, prefix, timed)
    names = builder.build()
    return str(builder.module), names


__all__ = ["build_module", "dtype_table", "entry_names", "native_steps", "segments",
           "register_emitter", "I8"]
