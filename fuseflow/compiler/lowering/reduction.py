"""Reductions over one block of axes: the input is viewed as [A, R, B] and R is reduced.

Rows (B == 1) keep a scalar accumulator the loop vectorizer splits into lanes (float adds are
marked `reassoc`, which changes rounding order but never NaN/Inf behaviour; float32 sums
accumulate in float64). Columns (B > 1) accumulate into the output row by row, so the inner
loop runs along contiguous B. Work splits between threads along A, else along B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import F64, I64, PTR, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer, task_range
from fuseflow.compiler.scalar_ir import IRScalarBuilder, Scalar
from fuseflow.compiler.threadpool import TASK_TYPE

PARALLEL_MIN_ELEMENTS = 1 << 16
COMBINERS = ("add", "mul", "max", "min")


@dataclass
class ReductionKernel:
    """out[a, b] = epilogue(combine over r of x[a, r, b])."""

    name: str
    x: Operand
    out: Operand
    a: int
    r: int
    b: int
    combine: str
    identity: float
    epilogue: object = None  # (builder, acc, n) -> value

    @property
    def parallel(self) -> bool:
        return self.a * self.r * self.b >= PARALLEL_MIN_ELEMENTS and max(self.a, self.b) > 1

    def __repr__(self) -> str:  # the epilogue is a function: name it by its code location
        code = getattr(self.epilogue, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else None
        return (f"ReductionKernel({self.name}, {self.x}, {self.out}, {self.a}, {self.r}, "
                f"{self.b}, {self.combine}, {self.identity}, {where})")


def split_axes(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(A, R, B) when the reduced axes form one block once size-1 dims are ignored."""
    kinds = [("r" if d in axes else "k") for d, size in enumerate(shape) if size != 1]
    sizes = [size for size in shape if size != 1]
    text = "".join(kinds)
    if "r" not in text:
        return (int(np.prod(sizes, dtype=np.int64)), 1, 1)
    first, last = text.index("r"), text.rindex("r")
    if "k" in text[first:last]:
        return None
    prod = lambda part: int(np.prod(part, dtype=np.int64))
    return prod(sizes[:first]), prod(sizes[first:last + 1]), prod(sizes[last + 1:])


def _combine(sb: IRScalarBuilder, kind: str, acc: Scalar, x: Scalar) -> Scalar:
    if kind == "add" and acc.dtype.kind == "f":
        return sb.wrap(sb.b.fadd(acc.value, x.value, flags=("reassoc",)), acc.dtype)
    return getattr(sb, {"add": "add", "mul": "mul", "max": "max", "min": "min"}[kind])(acc, x)


def _acc_dtype(kernel: ReductionKernel) -> np.dtype:
    wide = kernel.combine == "add" and kernel.x.dtype == np.float32 and kernel.b == 1
    return np.dtype(np.float64) if wide else kernel.x.dtype


def _finish(sb: IRScalarBuilder, kernel: ReductionKernel, acc: Scalar) -> Scalar:
    if kernel.epilogue is not None:
        acc = sb._as(kernel.epilogue(sb, acc, kernel.r), acc.dtype)
    return sb.cast(acc, kernel.out.dtype)


def _rows(b: ir.IRBuilder, kernel: ReductionKernel, x, out, lo, hi) -> None:
    dtype = _acc_dtype(kernel)
    sb = IRScalarBuilder(b, dtype)
    acc_ty = F64 if dtype == np.float64 else storage_type(dtype)
    with for_range(b, lo, hi, "a") as a:
        pre = b.block
        start = b.mul(a, i64(kernel.r))
        body = b.function.append_basic_block("r.body")
        after = b.function.append_basic_block("r.end")
        identity = sb.const(kernel.identity, dtype).value
        b.cbranch(ir.Constant(ir.IntType(1), kernel.r > 0), body, after)
        b.position_at_end(body)
        r = b.phi(I64, name="r")
        acc = b.phi(acc_ty, name="acc")
        value = sb.cast(sb.wrap(b.load(b.gep(x, [b.add(start, r)])), kernel.x.dtype), dtype)
        new = _combine(sb, kernel.combine, sb.wrap(acc, dtype), value).value
        r_next = b.add(r, i64(1))
        b.cbranch(b.icmp_signed("<", r_next, i64(kernel.r)), body, after)
        r.add_incoming(i64(0), pre)
        r.add_incoming(r_next, body)
        acc.add_incoming(identity, pre)
        acc.add_incoming(new, body)
        b.position_at_end(after)
        result = b.phi(acc_ty)
        result.add_incoming(identity, pre)
        result.add_incoming(new, body)
        b.store(_finish(sb, kernel, sb.wrap(result, dtype)).value, b.gep(out, [a]))


def _columns(b: ir.IRBuilder, kernel: ReductionKernel, x, out, lo, hi, split_b: bool) -> None:
    dtype = kernel.x.dtype
    sb = IRScalarBuilder(b, dtype)
    a_lo, a_hi = (i64(0), i64(kernel.a)) if split_b else (lo, hi)
    b_lo, b_hi = (lo, hi) if split_b else (i64(0), i64(kernel.b))
    with for_range(b, a_lo, a_hi, "a") as a:
        row = b.mul(a, i64(kernel.b))
        with for_range(b, b_lo, b_hi, "b0") as j:
            b.store(sb.const(kernel.identity).value, b.gep(out, [b.add(row, j)]))
        with for_range(b, 0, kernel.r, "r") as r:
            src = b.mul(b.add(b.mul(a, i64(kernel.r)), r), i64(kernel.b))
            with for_range(b, b_lo, b_hi, "b1") as j:
                dst = b.gep(out, [b.add(row, j)])
                value = sb.wrap(b.load(b.gep(x, [b.add(src, j)])), dtype)
                b.store(_combine(sb, kernel.combine, sb.wrap(b.load(dst), dtype), value).value,
                        dst)
        if kernel.epilogue is not None:
            with for_range(b, b_lo, b_hi, "b2") as j:
                dst = b.gep(out, [b.add(row, j)])
                b.store(_finish(sb, kernel, sb.wrap(b.load(dst), dtype)).value, dst)


def emit_reduction(kernel: ReductionKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task; tasks split A when it has more than one row, else B."""
    body_ty = ir.FunctionType(ir.VoidType(), [storage_type(kernel.x.dtype).as_pointer(),
                                              storage_type(kernel.out.dtype).as_pointer(),
                                              I64, I64])
    body = ir.Function(module, body_ty, f"{kernel.name}.body")
    body.linkage = "internal"
    for arg in body.args[:2]:
        arg.add_attribute("noalias")
    b = ir.IRBuilder(body.append_basic_block("entry"))
    x, out, lo, hi = body.args
    split_b = kernel.a == 1 and kernel.b > 1
    if kernel.b == 1:
        _rows(b, kernel, x, out, lo, hi)
    else:
        _columns(b, kernel, x, out, lo, hi, split_b)
    b.ret_void()
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    total = kernel.b if split_b else kernel.a
    t, nt = task.args[1], task.args[2]
    lo = b.sdiv(b.mul(i64(total), t), nt)
    hi = b.sdiv(b.mul(i64(total), b.add(t, i64(1))), nt)
    b.call(body, [slot_pointer(b, items, kernel.x.slot, kernel.x.dtype),
                  slot_pointer(b, items, kernel.out.slot, kernel.out.dtype), lo, hi])
    b.ret_void()
    return task


@dataclass
class ArgKernel:
    """out[a, b] = the first r where x[a, r, b] is largest (`largest`) or smallest; NaN wins."""

    name: str
    x: Operand
    out: Operand
    a: int
    r: int
    b: int
    largest: bool

    @property
    def parallel(self) -> bool:
        return self.a * self.r * self.b >= PARALLEL_MIN_ELEMENTS and self.a > 1


def plan_arg(builder, node: int) -> bool:
    """Plan argmax/argmin over one axis as an ArgKernel (numbers in, int32/int64 out)."""
    graph = builder.graph
    x = builder._operand(*graph.input_edges(node)[0])
    out_dtype = builder.specs[node].dtype.np_dtype
    axis = graph.attrs(node)["axis"]
    if x.dtype.kind not in "fiu" or out_dtype not in (np.dtype(np.int32), np.dtype(np.int64)) \
            or not x.shape or x.shape[axis] == 0:
        return False
    a = int(np.prod(x.shape[:axis], dtype=np.int64))
    b = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    out = Operand(builder._result_slot(node), tuple(builder.specs[node].shape), out_dtype)
    kernel = ArgKernel(builder._kernel_name(graph.op(node)), x, out, a, x.shape[axis], b,
                       graph.op(node) == "argmax")
    builder._add_kernel(kernel, [node])
    return True


def _better(b: ir.IRBuilder, kernel: ArgKernel, value, best):
    kind = kernel.x.dtype.kind
    if kind == "f":
        beats = b.fcmp_ordered(">" if kernel.largest else "<", value, best)
        nan_first = b.and_(b.fcmp_unordered("uno", value, value),
                           b.fcmp_ordered("ord", best, best))
        return b.or_(beats, nan_first)
    compare = b.icmp_signed if kind == "i" else b.icmp_unsigned
    return compare(">" if kernel.largest else "<", value, best)


def emit_arg(kernel: ArgKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the outer rows A."""
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    best_at = b.alloca(storage_type(kernel.x.dtype))  # in the entry block: promoted to registers
    index_at = b.alloca(I64)
    items = b.bitcast(task.args[0], PTR.as_pointer())
    x = slot_pointer(b, items, kernel.x.slot, kernel.x.dtype)
    out = slot_pointer(b, items, kernel.out.slot, kernel.out.dtype)
    lo, hi = task_range(b, kernel.a, task.args[1], task.args[2])
    with for_range(b, lo, hi, "a") as a:
        with for_range(b, 0, kernel.b, "bj") as j:
            base = b.add(b.mul(a, i64(kernel.r * kernel.b)), j)
            b.store(b.load(b.gep(x, [base])), best_at)
            b.store(i64(0), index_at)
            with for_range(b, 1, kernel.r, "r") as r:
                value = b.load(b.gep(x, [b.add(base, b.mul(r, i64(kernel.b)))]))
                best = b.load(best_at)
                take = _better(b, kernel, value, best)
                b.store(b.select(take, value, best), best_at)
                b.store(b.select(take, r, b.load(index_at)), index_at)
            index = b.load(index_at)
            if kernel.out.dtype.itemsize == 4:
                index = b.trunc(index, storage_type(kernel.out.dtype))
            b.store(index, b.gep(out, [b.add(b.mul(a, i64(kernel.b)), j)]))
    b.ret_void()
    return task
