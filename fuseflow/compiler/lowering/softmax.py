"""Sparse softmax cross-entropy and its gradient as native row kernels.

Each row of `logits` [rows, classes] is read three times while it sits in L1: its max, the sum
of exp(x - max) (accumulated in float64 for float32 logits), then the loss or the gradient
`g * (softmax - one_hot)`. A label outside [0, classes) must be an error, not a wild read: the
row gets NaN and the kernel flags its error code (kernel_error.py), so Python raises the op's own
InvalidArgumentError. softmax and log_softmax over any axis read x as [outer, classes, inner]:
each (outer, inner) pair is a row whose classes lie `inner` elements apart (no transpose).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import F64, I64, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.kernel_error import error_word, flag_error, raise_op_error
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64
from fuseflow.compiler.scalar_ir import IRScalarBuilder

PARALLEL_MIN_ELEMENTS = 1 << 15
FORWARD = "sparse_softmax_cross_entropy_with_logits"
BACKWARD = "sparse_softmax_cross_entropy_with_logits_grad"


@dataclass
class SoftmaxXentKernel:
    """Per row: loss = log(sum exp(x - m)) - (x[label] - m), or its gradient times g."""

    name: str
    labels: Operand
    logits: Operand
    g: Operand | None  # None: the forward loss
    out: Operand
    rows: int
    classes: int
    code: int  # what the error word holds after a bad label (a step number, 1-based)
    op: str = FORWARD

    @property
    def parallel(self) -> bool:
        return self.rows > 1 and self.rows * self.classes >= PARALLEL_MIN_ELEMENTS

    may_fail = True

    def reraise(self, objs: list) -> None:
        """Raise the op's error for the labels the kernel rejected."""
        inputs = [self.labels, self.logits] + ([self.g] if self.g is not None else [])
        raise_op_error(self.op, [objs[op.slot].reshape(op.shape) for op in inputs], {},
                       "a label is outside [0, classes)")


def _acc(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype == np.float32 else dtype


def _max_and_total(b: ir.IRBuilder, sb: IRScalarBuilder, x, base, classes: int, best, total):
    """A contiguous row's max, and the sum of exp(x - max) (accumulated wide, see `_acc`)."""
    dtype = sb.dtype
    acc_dtype = _acc(dtype)
    acc_ty = F64 if acc_dtype == np.float64 else storage_type(dtype)
    b.store(b.load(b.gep(x, [base])), best)
    with for_range(b, 1, classes, "m") as j:
        value = sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype)
        b.store(sb.max(sb.wrap(b.load(best), dtype), value).value, best)
    top = sb.wrap(b.load(best), dtype)
    b.store(ir.Constant(acc_ty, 0.0), total)
    with for_range(b, 0, classes, "s") as j:
        e = sb.exp(sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype) - top)
        b.store(b.fadd(b.load(total), sb.cast(e, acc_dtype).value, flags=("reassoc",)), total)
    return top, sb.cast(sb.wrap(b.load(total), acc_dtype), dtype)


def _row(b: ir.IRBuilder, k: SoftmaxXentKernel, ptrs, r, best, total) -> None:
    labels, x, g, out = ptrs
    dtype = k.logits.dtype
    sb = IRScalarBuilder(b, dtype)
    ty = storage_type(dtype)
    base = b.mul(r, i64(k.classes))
    top, denom = _max_and_total(b, sb, x, base, k.classes, best, total)
    label = b.load(b.gep(labels, [r]))
    label = b.sext(label, I64) if label.type.width < 64 else label
    bad = b.icmp_unsigned(">=", label, i64(k.classes))
    with b.if_else(bad) as (then, otherwise):
        with then:
            flag_error(b, k.code)
            nan = ir.Constant(ty, float("nan"))
            if k.g is None:
                b.store(nan, b.gep(out, [r]))
            else:
                with for_range(b, 0, k.classes, "n") as j:
                    b.store(nan, b.gep(out, [b.add(base, j)]))
        with otherwise:
            picked = sb.wrap(b.load(b.gep(x, [b.add(base, label)])), dtype) - top
            if k.g is None:
                b.store((sb.log(denom) - picked).value, b.gep(out, [r]))
            else:
                scale = sb.wrap(b.load(b.gep(g, [r])), dtype)
                with for_range(b, 0, k.classes, "o") as j:
                    e = sb.exp(sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype) - top)
                    hot = sb.select(sb.wrap(b.icmp_signed("==", j, label), np.bool_),
                                    sb.const(1.0), sb.const(0.0))
                    b.store(((e / denom - hot) * scale).value, b.gep(out, [b.add(base, j)]))


def emit_softmax_xent(kernel: SoftmaxXentKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the rows."""
    error_word(module)

    def rows(b, buffers, lo, hi):
        best, total = _accumulators(b, kernel.logits.dtype)
        with for_range(b, lo, hi, "row") as r:
            _row(b, kernel, buffers, r, best, total)

    return emit_split_task(module, kernel.name,
                           [kernel.labels, kernel.logits, kernel.g, kernel.out], kernel.rows,
                           rows, noalias=False)


def plan_softmax_xent(builder, node: int) -> bool:
    """Plan the forward or backward op natively when logits are float32/64 and shapes known."""
    graph = builder.graph
    op = graph.op(node)
    edges = graph.input_edges(node)
    ins = [builder._operand(p, i) for p, i in edges]
    labels, logits = ins[0], ins[1]
    if logits.dtype not in (np.float32, np.float64) or labels.dtype.kind not in "iu":
        return False
    if labels.dtype.kind == "u" or not logits.shape:
        return False
    classes = logits.shape[-1]
    rows = int(np.prod(logits.shape[:-1], dtype=np.int64))
    if classes == 0 or tuple(labels.shape) != tuple(logits.shape[:-1]):
        return False
    g = ins[2] if op == BACKWARD else None
    if g is not None and (g.dtype != logits.dtype or tuple(g.shape) != tuple(labels.shape)):
        return False
    spec = builder.specs[node]
    out = Operand(builder._result_slot(node), tuple(spec.shape), spec.dtype.np_dtype)
    code = len(builder.plan.steps) + 1
    name = builder._kernel_name("xent" if g is None else "xent_grad")
    kernel = SoftmaxXentKernel(name, labels, logits, g, out, rows, classes, code, op)
    builder._add_kernel(kernel, [node])
    return True


# -- softmax and log_softmax over any axis --------------------------------------------------------

COLUMN_BLOCK = 64  # rows handled side by side when classes are strided: the vector loop's length


@dataclass
class SoftmaxKernel:
    """Per row of x [outer, classes, inner] (classes `inner` apart): softmax, or log_softmax."""

    name: str
    x: Operand
    out: Operand
    rows: int  # outer * inner
    classes: int
    log: bool
    inner: int = 1

    @property
    def parallel(self) -> bool:
        return self.units > 1 and self.rows * self.classes >= PARALLEL_MIN_ELEMENTS

    @property
    def column_blocks(self) -> int:
        """Column blocks per outer slice (inner > 1)."""
        return -(-self.inner // COLUMN_BLOCK)

    @property
    def units(self) -> int:
        """What the tasks split: rows (inner == 1), else the column blocks of all slices."""
        return self.rows if self.inner == 1 else self.rows // self.inner * self.column_blocks

    def read_slots(self) -> list[int]:
        return [self.x.slot]

    def written_slots(self) -> list[int]:
        return [self.out.slot]


def _softmax_row(b: ir.IRBuilder, k: SoftmaxKernel, x, out, r, best, total) -> None:
    dtype = k.x.dtype
    sb = IRScalarBuilder(b, dtype)
    base = b.mul(r, i64(k.classes))

    def shifted(j, top):
        return sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype) - top

    top, denom = _max_and_total(b, sb, x, base, k.classes, best, total)
    if k.log:
        log_denom = sb.log(denom)
        with for_range(b, 0, k.classes, "o") as j:
            b.store((shifted(j, top) - log_denom).value, b.gep(out, [b.add(base, j)]))
    else:
        with for_range(b, 0, k.classes, "o") as j:
            b.store((sb.exp(shifted(j, top)) / denom).value, b.gep(out, [b.add(base, j)]))


def _softmax_columns(b: ir.IRBuilder, k: SoftmaxKernel, x, out, unit, best, total) -> None:
    """Rows [i0, i0 + width) of one outer slice side by side: each pass over the classes runs
    a contiguous (vectorizable) loop over the block, where one row at a time would be strided."""
    dtype = k.x.dtype
    sb = IRScalarBuilder(b, dtype)
    acc_dtype = _acc(dtype)
    outer = b.udiv(unit, i64(k.column_blocks))
    i0 = b.mul(b.sub(unit, b.mul(outer, i64(k.column_blocks))), i64(COLUMN_BLOCK))
    width = b.sub(i64(k.inner), i0)
    width = b.select(b.icmp_signed("<", width, i64(COLUMN_BLOCK)), width, i64(COLUMN_BLOCK))
    base = b.add(b.mul(outer, i64(k.classes * k.inner)), i0)

    def at(j, w):
        return b.add(b.add(base, b.mul(j, i64(k.inner))), w)

    def load(ptr, j, w):
        return sb.wrap(b.load(b.gep(ptr, [at(j, w)])), dtype)

    def scratch(array, w):
        return b.gep(array, [i64(0), w])

    with for_range(b, 0, width, "w0") as w:
        b.store(b.load(b.gep(x, [at(i64(0), w)])), scratch(best, w))
        b.store(sb.cast(sb.const(0.0), acc_dtype).value, scratch(total, w))
    with for_range(b, 1, k.classes, "m") as j, for_range(b, 0, width, "wm") as w:
        top = sb.wrap(b.load(scratch(best, w)), dtype)
        b.store(sb.max(top, load(x, j, w)).value, scratch(best, w))
    with for_range(b, 0, k.classes, "s") as j, for_range(b, 0, width, "ws") as w:
        e = sb.exp(load(x, j, w) - sb.wrap(b.load(scratch(best, w)), dtype))
        if not k.log:  # kept for the last pass: one exp per element, not two
            b.store(e.value, b.gep(out, [at(j, w)]))
        wide = sb.cast(e, acc_dtype).value
        b.store(b.fadd(b.load(scratch(total, w)), wide, flags=("reassoc",)), scratch(total, w))
    if k.log:  # one log per row, not per element: total becomes log(total)
        with for_range(b, 0, width, "wl") as w:
            denom = sb.cast(sb.wrap(b.load(scratch(total, w)), acc_dtype), dtype)
            b.store(sb.cast(sb.log(denom), acc_dtype).value, scratch(total, w))
    with for_range(b, 0, k.classes, "o") as j, for_range(b, 0, width, "wo") as w:
        denom = sb.cast(sb.wrap(b.load(scratch(total, w)), acc_dtype), dtype)
        if k.log:
            value = load(x, j, w) - sb.wrap(b.load(scratch(best, w)), dtype) - denom
        else:
            value = load(out, j, w) / denom
        b.store(value.value, b.gep(out, [at(j, w)]))


def emit_softmax(kernel: SoftmaxKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the rows (or the column blocks)."""

    def rows(b, buffers, lo, hi):
        if kernel.inner == 1:
            best, total = _accumulators(b, kernel.x.dtype)
            with for_range(b, lo, hi, "row") as r:
                _softmax_row(b, kernel, *buffers, r, best, total)
            return
        best, total = _accumulators(b, kernel.x.dtype, COLUMN_BLOCK)
        with for_range(b, lo, hi, "unit") as unit:
            _softmax_columns(b, kernel, *buffers, unit, best, total)

    return emit_split_task(module, kernel.name, [kernel.x, kernel.out], kernel.units, rows)


def _accumulators(b: ir.IRBuilder, dtype: np.dtype, count: int = 0) -> tuple:
    """A row's running max and sum (float64 sums for float32 data), in the entry block so they
    become registers; with `count`, arrays of `count` of each (a column block's)."""
    best_ty = storage_type(dtype)
    total_ty = F64 if _acc(dtype) == np.float64 else storage_type(dtype)
    if count:
        best_ty, total_ty = ir.ArrayType(best_ty, count), ir.ArrayType(total_ty, count)
    return b.alloca(best_ty), b.alloca(total_ty)


def plan_softmax(builder, node: int) -> bool:
    """Plan softmax / log_softmax natively over any axis of float32/64 tensors."""
    graph = builder.graph
    op = graph.op(node)
    x = builder._operand(*graph.input_edges(node)[0])
    axis = graph.attrs(node)["axis"]
    if x.dtype not in (np.float32, np.float64) or not x.shape or x.shape[axis] == 0:
        return False  # empty rows: NumPy's op decides (it rejects them)
    classes = x.shape[axis]
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    rows = int(np.prod(x.shape, dtype=np.int64)) // classes
    out = Operand(builder._result_slot(node), tuple(x.shape), x.dtype)
    kernel = SoftmaxKernel(builder._kernel_name(op), x, out, rows, classes,
                           op == "log_softmax", max(inner, 1))
    builder._add_kernel(kernel, [node])
    return True
