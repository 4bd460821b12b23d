"""Sparse softmax cross-entropy and its gradient as native row kernels.

Each row of `logits` [rows, classes] is read three times while it sits in L1: its max, the sum
of exp(x - max) (accumulated in float64 for float32 logits), then the loss or the gradient
`g * (softmax - one_hot)`. A label outside [0, classes) must be an error, not a wild read: the
row gets NaN, the kernel records its error code in the module's error word, and the segment
entry returns that code so Python can raise the op's own InvalidArgumentError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import F64, I32, I64, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64
from fuseflow.compiler.scalar_ir import IRScalarBuilder

PARALLEL_MIN_ELEMENTS = 1 << 15
ERROR_WORD = "ff_kernel_error"
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


def error_word(module: ir.Module) -> ir.GlobalVariable:
    """The module's error word (0: no error), created on first use."""
    if ERROR_WORD in module.globals:
        return module.globals[ERROR_WORD]
    word = ir.GlobalVariable(module, I32, ERROR_WORD)
    word.initializer = ir.Constant(I32, 0)
    word.linkage = "internal"
    return word


def _acc(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype == np.float32 else dtype


def _row(b: ir.IRBuilder, k: SoftmaxXentKernel, ptrs, r, word, best, total) -> None:
    labels, x, g, out = ptrs
    dtype = k.logits.dtype
    sb = IRScalarBuilder(b, dtype)
    acc_dtype = _acc(dtype)
    ty = storage_type(dtype)
    acc_ty = F64 if acc_dtype == np.float64 else ty
    base = b.mul(r, i64(k.classes))
    b.store(b.load(b.gep(x, [base])), best)
    with for_range(b, 1, k.classes, "m") as j:
        value = sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype)
        b.store(sb.max(sb.wrap(b.load(best), dtype), value).value, best)
    top = sb.wrap(b.load(best), dtype)
    b.store(ir.Constant(acc_ty, 0.0), total)
    with for_range(b, 0, k.classes, "s") as j:
        e = sb.exp(sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype) - top)
        wide = sb.cast(e, acc_dtype).value
        b.store(b.fadd(b.load(total), wide, flags=("reassoc",)), total)
    denom = sb.cast(sb.wrap(b.load(total), acc_dtype), dtype)
    label = b.load(b.gep(labels, [r]))
    label = b.sext(label, I64) if label.type.width < 64 else label
    bad = b.icmp_unsigned(">=", label, i64(k.classes))
    with b.if_else(bad) as (then, otherwise):
        with then:
            b.store(ir.Constant(I32, k.code), word)
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
    word = error_word(module)

    def rows(b, buffers, lo, hi):
        best, total = _accumulators(b, kernel.logits.dtype)
        with for_range(b, lo, hi, "row") as r:
            _row(b, kernel, buffers, r, word, best, total)

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


# -- softmax and log_softmax over the last axis ----------------------------------------------------

@dataclass
class SoftmaxKernel:
    """Per row of x [rows, classes]: softmax, or log_softmax when `log`."""

    name: str
    x: Operand
    out: Operand
    rows: int
    classes: int
    log: bool

    @property
    def parallel(self) -> bool:
        return self.rows > 1 and self.rows * self.classes >= PARALLEL_MIN_ELEMENTS

    def read_slots(self) -> list[int]:
        return [self.x.slot]

    def written_slots(self) -> list[int]:
        return [self.out.slot]


def _softmax_row(b: ir.IRBuilder, k: SoftmaxKernel, x, out, r, best, total) -> None:
    dtype = k.x.dtype
    sb = IRScalarBuilder(b, dtype)
    acc_dtype = _acc(dtype)
    acc_ty = F64 if acc_dtype == np.float64 else storage_type(dtype)
    base = b.mul(r, i64(k.classes))

    def shifted(j, top):
        return sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype) - top

    b.store(b.load(b.gep(x, [base])), best)
    with for_range(b, 1, k.classes, "m") as j:
        value = sb.wrap(b.load(b.gep(x, [b.add(base, j)])), dtype)
        b.store(sb.max(sb.wrap(b.load(best), dtype), value).value, best)
    top = sb.wrap(b.load(best), dtype)
    b.store(ir.Constant(acc_ty, 0.0), total)
    with for_range(b, 0, k.classes, "s") as j:
        wide = sb.cast(sb.exp(shifted(j, top)), acc_dtype).value
        b.store(b.fadd(b.load(total), wide, flags=("reassoc",)), total)
    denom = sb.cast(sb.wrap(b.load(total), acc_dtype), dtype)
    if k.log:
        log_denom = sb.log(denom)
        with for_range(b, 0, k.classes, "o") as j:
            b.store((shifted(j, top) - log_denom).value, b.gep(out, [b.add(base, j)]))
    else:
        with for_range(b, 0, k.classes, "o") as j:
            b.store((sb.exp(shifted(j, top)) / denom).value, b.gep(out, [b.add(base, j)]))


def emit_softmax(kernel: SoftmaxKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the rows."""

    def rows(b, buffers, lo, hi):
        best, total = _accumulators(b, kernel.x.dtype)
        with for_range(b, lo, hi, "row") as r:
            _softmax_row(b, kernel, *buffers, r, best, total)

    return emit_split_task(module, kernel.name, [kernel.x, kernel.out], kernel.rows, rows)


def _accumulators(b: ir.IRBuilder, dtype: np.dtype) -> tuple:
    """A row's running max and sum (float64 sums for float32 data), in the entry block so they
    become registers."""
    best = b.alloca(storage_type(dtype))
    total = b.alloca(F64 if _acc(dtype) == np.float64 else storage_type(dtype))
    return best, total


def plan_softmax(builder, node: int) -> bool:
    """Plan softmax / log_softmax natively over the last axis of float32/64 tensors."""
    graph = builder.graph
    op = graph.op(node)
    x = builder._operand(*graph.input_edges(node)[0])
    if x.dtype not in (np.float32, np.float64) or not x.shape or x.shape[-1] == 0:
        return False  # empty rows: NumPy's op decides (it rejects them)
    if graph.attrs(node)["axis"] != len(x.shape) - 1:
        return False  # other axes: NumPy (a transpose would cost as much as the op)
    classes = x.shape[-1]
    rows = int(np.prod(x.shape[:-1], dtype=np.int64))
    out = Operand(builder._result_slot(node), tuple(x.shape), x.dtype)
    kernel = SoftmaxKernel(builder._kernel_name(op), x, out, rows, classes,
                           op == "log_softmax")
    builder._add_kernel(kernel, [node])
    return True
