"""max_pool2d and max_pool2d_grad as native kernels (NHWC, any window, stride and padding).

Padding reads as -inf. The forward takes a NaN-propagating max over the window's taps; the
gradient sends each output's incoming gradient to the window's first tap equal to that max (row
major), as the NumPy op does: a NaN max or a padding tap receives nothing. Threads split images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64
from fuseflow.compiler.scalar_ir import IRScalarBuilder
from fuseflow.core.ops._windows import window

PARALLEL_MIN_ELEMENTS = 1 << 15


@dataclass
class MaxPoolKernel:
    """Forward (`dy` None): out = window max of x; backward: out = dx from x and dy."""

    name: str
    x: Operand
    dy: Operand | None
    out: Operand
    ksize: tuple[int, int]
    strides: tuple[int, int]
    out_hw: tuple[int, int]
    pads: tuple[int, int]  # (top, left)

    @property
    def parallel(self) -> bool:
        return int(np.prod(self.x.shape, dtype=np.int64)) >= PARALLEL_MIN_ELEMENTS and \
            self.x.shape[0] > 1

    def read_slots(self) -> list[int]:
        return [self.x.slot] + ([self.dy.slot] if self.dy is not None else [])

    def written_slots(self) -> list[int]:
        return [self.out.slot]


def _taps(b, k: MaxPoolKernel, bi, oh, ow):
    """(inside, pixel offset) of each tap of the window at (bi, oh, ow), row major."""
    _, h, w, c = k.x.shape
    taps = []
    for i in range(k.ksize[0]):
        ih = b.add(b.mul(oh, i64(k.strides[0])), i64(i - k.pads[0]))
        for j in range(k.ksize[1]):
            iw = b.add(b.mul(ow, i64(k.strides[1])), i64(j - k.pads[1]))
            inside = b.and_(b.icmp_unsigned("<", ih, i64(h)), b.icmp_unsigned("<", iw, i64(w)))
            pixel = b.mul(b.add(b.mul(b.add(b.mul(bi, i64(h)), ih), i64(w)), iw), i64(c))
            taps.append((inside, b.select(inside, pixel, i64(0))))
    return taps


def _emit_body(b: ir.IRBuilder, k: MaxPoolKernel, x, dy, out, lo, hi) -> None:
    _, h, w, c = k.x.shape
    dtype = k.x.dtype
    sb = IRScalarBuilder(b, dtype)
    low = sb.const(-np.inf)
    if k.dy is not None:  # clear this task's images of dx before accumulating
        with for_range(b, b.mul(lo, i64(h * w * c)), b.mul(hi, i64(h * w * c)), "z") as z:
            b.store(sb.const(0.0).value, b.gep(out, [z]))
    with for_range(b, lo, hi, "n") as bi:
        with for_range(b, 0, k.out_hw[0], "oh") as oh:
            with for_range(b, 0, k.out_hw[1], "ow") as ow:
                taps = _taps(b, k, bi, oh, ow)
                row = b.add(b.mul(b.add(b.mul(bi, i64(k.out_hw[0])), oh), i64(k.out_hw[1])), ow)
                with for_range(b, 0, c, "c") as ch:
                    values = [sb.select(sb.wrap(inside, np.bool_),
                                        sb.wrap(b.load(b.gep(x, [b.add(pixel, ch)])), dtype), low)
                              for inside, pixel in taps]
                    best = values[0]
                    for value in values[1:]:
                        best = sb.max(value, best)  # NaN in either stays NaN
                    at = b.add(b.mul(row, i64(c)), ch)
                    if k.dy is None:
                        b.store(best.value, b.gep(out, [at]))
                    else:
                        _scatter(b, sb, taps, values, best, b.load(b.gep(dy, [at])), out, ch)


def _scatter(b, sb, taps, values, best, grad, out, ch) -> None:
    taken = ir.Constant(ir.IntType(1), 0)
    for (inside, pixel), value in zip(taps, values):
        hit = b.and_(sb.eq(value, best).value, b.not_(taken))
        taken = b.or_(taken, hit)
        with b.if_then(b.and_(hit, inside)):
            where = b.gep(out, [b.add(pixel, ch)])
            b.store(b.fadd(b.load(where), grad), where)


def emit_max_pool(kernel: MaxPoolKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the images."""
    return emit_split_task(
        module, kernel.name, [kernel.x, kernel.dy, kernel.out], kernel.x.shape[0],
        lambda b, buffers, lo, hi: _emit_body(b, kernel, *buffers, lo, hi))


def plan_max_pool(builder, node: int) -> bool:
    """Plan max_pool2d or max_pool2d_grad natively for float32/float64 NHWC images."""
    graph = builder.graph
    op, attrs = graph.op(node), graph.attrs(node)
    ins = [builder._operand(p, i) for p, i in graph.input_edges(node)]
    spec = builder.specs[node]
    dtype = spec.dtype.np_dtype
    if dtype not in (np.float32, np.float64) or any(o.dtype != dtype for o in ins):
        return False
    x = ins[0]
    if len(x.shape) != 4:
        return False
    win = window(op, x.shape[1:3], attrs["ksize"], attrs["strides"], attrs["padding"])
    out = Operand(builder._result_slot(node), tuple(spec.shape), dtype)
    dy = ins[1] if op == "max_pool2d_grad" else None
    kernel = MaxPoolKernel(builder._kernel_name(op), x, dy, out, tuple(win.ksize),
                           tuple(win.strides), tuple(win.out), (win.pads[0][0], win.pads[1][0]))
    builder._add_kernel(kernel, [node])
    return True


def plan_avg_pool(builder, node: int) -> bool:
    """Plan avg_pool2d or avg_pool2d_grad natively (not yet: NumPy runs them)."""
    return False
