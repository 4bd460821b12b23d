"""max_pool2d, avg_pool2d and their gradients as native kernels (NHWC, any window and stride).

Max pooling reads padding as -inf. The forward takes a NaN-propagating max over the window's
taps; the gradient sends each output's incoming gradient to the window's first tap equal to that
max (row major), as the NumPy op does: a NaN max or a padding tap receives nothing.

Average pooling divides by the number of in-bounds taps (padding is left out of the count, as in
TF's SAME padding). Both directions add taps in the NumPy op's order (row-major taps; the
gradient tap by tap over all outputs, dividing `dy` by the count each time), so compiled and
eager results agree to the bit. Threads split images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64
from fuseflow.compiler.scalar_ir import IRScalarBuilder
from fuseflow.core.ops._windows import window

PARALLEL_MIN_ELEMENTS = 1 << 15
_GRADS = {"max_pool2d_grad", "avg_pool2d_grad"}


@dataclass
class PoolKernel:
    """A window reduction over NHWC images, or its gradient (`dy` given).

    `x` is the pooled input (None for the average's gradient, which needs only `dy`);
    `reducer` is "max" or "avg".
    """

    name: str
    x: Operand | None
    dy: Operand | None
    out: Operand
    ksize: tuple[int, int]
    strides: tuple[int, int]
    out_hw: tuple[int, int]
    pads: tuple[int, int]  # (top, left)
    reducer: str = "max"

    @property
    def image(self) -> tuple[int, ...]:
        """(n, h, w, c) of the unpooled images."""
        return self.out.shape if self.x is None else self.x.shape

    @property
    def parallel(self) -> bool:
        sizes = [int(np.prod(op.shape, dtype=np.int64)) for op in (self.x, self.dy, self.out)
                 if op is not None]
        return max(sizes) >= PARALLEL_MIN_ELEMENTS and self.image[0] > 1

    def read_slots(self) -> list[int]:
        return [op.slot for op in (self.x, self.dy) if op is not None]

    def written_slots(self) -> list[int]:
        return [self.out.slot]


# -- max ------------------------------------------------------------------------------------------

def _taps(b, k: PoolKernel, bi, oh, ow):
    """(inside, pixel offset) of each tap of the window at (bi, oh, ow), row major."""
    _, h, w, c = k.image
    taps = []
    for i in range(k.ksize[0]):
        ih = b.add(b.mul(oh, i64(k.strides[0])), i64(i - k.pads[0]))
        for j in range(k.ksize[1]):
            iw = b.add(b.mul(ow, i64(k.strides[1])), i64(j - k.pads[1]))
            inside = b.and_(b.icmp_unsigned("<", ih, i64(h)), b.icmp_unsigned("<", iw, i64(w)))
            pixel = b.mul(b.add(b.mul(b.add(b.mul(bi, i64(h)), ih), i64(w)), iw), i64(c))
            taps.append((inside, b.select(inside, pixel, i64(0))))
    return taps


def _clear(b: ir.IRBuilder, k: PoolKernel, out, bi) -> None:
    """Zero image `bi` of the gradient before accumulating into it."""
    _, h, w, c = k.image
    zero = ir.Constant(storage_type(k.out.dtype), 0.0)
    with for_range(b, b.mul(bi, i64(h * w * c)), b.mul(b.add(bi, i64(1)), i64(h * w * c)),
                   "z") as z:
        b.store(zero, b.gep(out, [z]))


def _tiles_exactly(k: PoolKernel) -> bool:
    """Whether the windows cover every pixel exactly once (no padding, overlap or gap)."""
    _, h, w, _ = k.image
    return (k.pads == (0, 0) and tuple(k.strides) == tuple(k.ksize)
            and k.out_hw[0] * k.ksize[0] == h and k.out_hw[1] * k.ksize[1] == w)


def _emit_max(b: ir.IRBuilder, k: PoolKernel, x, dy, out, lo, hi) -> None:
    c = k.image[3]
    sb = IRScalarBuilder(b, k.x.dtype)
    # The winning tap of each channel, found in one vectorizable pass and spent tap by tap.
    winner = b.alloca(ir.ArrayType(ir.IntType(32), c)) if k.dy is not None else None
    tiled = _tiles_exactly(k)
    with for_range(b, lo, hi, "n") as bi:
        if k.dy is not None and not tiled:
            _clear(b, k, out, bi)
        with for_range(b, 0, k.out_hw[0], "oh") as oh:
            with for_range(b, 0, k.out_hw[1], "ow") as ow:
                taps = _taps(b, k, bi, oh, ow)
                row = b.add(b.mul(b.add(b.mul(bi, i64(k.out_hw[0])), oh), i64(k.out_hw[1])), ow)
                with for_range(b, 0, c, "c") as ch:
                    _window_max(b, sb, k, taps, x, ch, b.gep(out, [b.add(b.mul(row, i64(c)), ch)])
                                if k.dy is None else b.gep(winner, [i64(0), ch]))
                if k.dy is not None:
                    _scatter(b, k, taps, b.gep(dy, [b.mul(row, i64(c))]), winner, out, tiled)


def _window_max(b, sb, k: PoolKernel, taps, x, ch, dest) -> None:
    """Store the window's max (forward) or the index of its first tap equal to it (gradient).

    Padding taps count (as -inf), as in the NumPy op, but receive nothing; a NaN max gives
    index -1, so no tap receives.
    """
    dtype = k.x.dtype
    low = sb.const(-np.inf)
    values = [sb.select(sb.wrap(inside, np.bool_),
                        sb.wrap(b.load(b.gep(x, [b.add(pixel, ch)])), dtype), low)
              for inside, pixel in taps]
    best = values[0]
    for value in values[1:]:
        best = sb.max(value, best)  # NaN in either stays NaN
    if k.dy is None:
        b.store(best.value, dest)
        return
    index = ir.Constant(ir.IntType(32), -1)
    for t in reversed(range(len(taps))):  # the first equal tap, row major, wins
        hit = sb.eq(values[t], best).value
        index = b.select(hit, ir.Constant(ir.IntType(32), t), index)
    b.store(index, dest)


def _scatter(b, k: PoolKernel, taps, grads, winner, out, tiled: bool) -> None:
    """Send each channel's gradient to its winning tap; other taps get +0 (or 0 when tiled)."""
    c = k.image[3]
    zero = ir.Constant(storage_type(k.out.dtype), 0.0)
    for t, (inside, pixel) in enumerate(taps):
        with b.if_then(inside):
            with for_range(b, 0, c, "c") as ch:
                won = b.icmp_signed("==", b.load(b.gep(winner, [i64(0), ch])),
                                    ir.Constant(ir.IntType(32), t))
                share = b.select(won, b.load(b.gep(grads, [ch])), zero)
                where = b.gep(out, [b.add(pixel, ch)])
                # the eager op adds into zeros; 0 + g keeps its result bit for bit (-0 too)
                b.store(b.fadd(zero if tiled else b.load(where), share), where)


# -- average --------------------------------------------------------------------------------------

def _smin(b: ir.IRBuilder, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _smax(b: ir.IRBuilder, x, y):
    return b.select(b.icmp_signed(">", x, y), x, y)


def _span(b: ir.IRBuilder, k: PoolKernel, axis: int, o):
    """[first, end) of the in-bounds rows (axis 0) or columns of output `o`'s window.

    The count `end - first` is the NumPy op's formula (negative spans included), so even a
    window that sees no pixel divides exactly as it does.
    """
    start = b.sub(b.mul(o, i64(k.strides[axis])), i64(k.pads[axis]))
    end = _smin(b, b.add(start, i64(k.ksize[axis])), i64(k.image[1 + axis]))
    return _smax(b, start, i64(0)), end


def _count(b: ir.IRBuilder, k: PoolKernel, rows, cols):
    """How many pixels the window spanning `rows` x `cols` covers, as a float."""
    count = b.mul(b.sub(rows[1], rows[0]), b.sub(cols[1], cols[0]))
    return b.sitofp(count, storage_type(k.out.dtype))


def _emit_avg(b: ir.IRBuilder, k: PoolKernel, x, out, lo, hi) -> None:
    _, h, w, c = k.image
    with for_range(b, lo, hi, "n") as bi:
        with for_range(b, 0, k.out_hw[0], "oh") as oh:
            top, bottom = rows = _span(b, k, 0, oh)
            with for_range(b, 0, k.out_hw[1], "ow") as ow:
                left, right = cols = _span(b, k, 1, ow)
                count = _count(b, k, rows, cols)
                row = b.add(b.mul(b.add(b.mul(bi, i64(k.out_hw[0])), oh), i64(k.out_hw[1])), ow)
                at = b.mul(row, i64(c))
                with for_range(b, 0, c, "c") as ch:
                    b.store(ir.Constant(count.type, 0.0), b.gep(out, [b.add(at, ch)]))
                with for_range(b, top, bottom, "ih") as ih:
                    with for_range(b, left, right, "iw") as iw:
                        pixel = b.mul(b.add(b.mul(b.add(b.mul(bi, i64(h)), ih), i64(w)), iw),
                                      i64(c))
                        with for_range(b, 0, c, "c") as ch:
                            where = b.gep(out, [b.add(at, ch)])
                            value = b.load(b.gep(x, [b.add(pixel, ch)]))
                            b.store(b.fadd(b.load(where), value), where)
                with for_range(b, 0, c, "c") as ch:
                    where = b.gep(out, [b.add(at, ch)])
                    b.store(b.fdiv(b.load(where), count), where)


def _emit_avg_grad(b: ir.IRBuilder, k: PoolKernel, dy, out, lo, hi) -> None:
    _, h, w, c = k.image
    with for_range(b, lo, hi, "n") as bi:
        _clear(b, k, out, bi)
        with for_range(b, 0, k.ksize[0], "i") as i, for_range(b, 0, k.ksize[1], "j") as j:
            with for_range(b, 0, k.out_hw[0], "oh") as oh:
                ih = b.add(b.sub(b.mul(oh, i64(k.strides[0])), i64(k.pads[0])), i)
                with b.if_then(b.icmp_unsigned("<", ih, i64(h))):
                    _avg_grad_row(b, k, dy, out, (bi, oh, ih, j))


def _avg_grad_row(b: ir.IRBuilder, k: PoolKernel, dy, out, where) -> None:
    """Add tap (i, j)'s share of each output in row `oh` of image `bi` to input row `ih`."""
    _, h, w, c = k.image
    bi, oh, ih, j = where
    rows = _span(b, k, 0, oh)
    with for_range(b, 0, k.out_hw[1], "ow") as ow:
        iw = b.add(b.sub(b.mul(ow, i64(k.strides[1])), i64(k.pads[1])), j)
        with b.if_then(b.icmp_unsigned("<", iw, i64(w))):
            count = _count(b, k, rows, _span(b, k, 1, ow))
            row = b.add(b.mul(b.add(b.mul(bi, i64(k.out_hw[0])), oh), i64(k.out_hw[1])), ow)
            pixel = b.mul(b.add(b.mul(b.add(b.mul(bi, i64(h)), ih), i64(w)), iw), i64(c))
            with for_range(b, 0, c, "c") as ch:
                share = b.fdiv(b.load(b.gep(dy, [b.add(b.mul(row, i64(c)), ch)])), count)
                target = b.gep(out, [b.add(pixel, ch)])
                b.store(b.fadd(b.load(target), share), target)


def _emit_body(b: ir.IRBuilder, k: PoolKernel, x, dy, out, lo, hi) -> None:
    if k.reducer == "max":
        _emit_max(b, k, x, dy, out, lo, hi)
    elif dy is None:
        _emit_avg(b, k, x, out, lo, hi)
    else:
        _emit_avg_grad(b, k, dy, out, lo, hi)


def emit_pool(kernel: PoolKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the images."""
    return emit_split_task(
        module, kernel.name, [kernel.x, kernel.dy, kernel.out], kernel.image[0],
        lambda b, buffers, lo, hi: _emit_body(b, kernel, *buffers, lo, hi))


# -- planning -------------------------------------------------------------------------------------

def _plan(builder, node: int, reducer: str) -> bool:
    graph = builder.graph
    op, attrs = graph.op(node), graph.attrs(node)
    ins = [builder._operand(p, i) for p, i in graph.input_edges(node)]
    spec = builder.specs[node]
    dtype = spec.dtype.np_dtype
    if dtype not in (np.float32, np.float64) or any(o.dtype != dtype for o in ins):
        return False
    x = None if op == "avg_pool2d_grad" else ins[0]
    image = tuple(spec.shape) if x is None else x.shape
    if len(image) != 4:
        return False
    out = Operand(builder._result_slot(node), tuple(spec.shape), dtype)
    win = window(op, image[1:3], attrs["ksize"], attrs["strides"], attrs["padding"])
    dy = ins[-1] if op in _GRADS else None
    kernel = PoolKernel(builder._kernel_name(op), x, dy, out, tuple(win.ksize),
                        tuple(win.strides), tuple(win.out), (win.pads[0][0], win.pads[1][0]),
                        reducer)
    builder._add_kernel(kernel, [node])
    return True


def plan_max_pool(builder, node: int) -> bool:
    """Plan max_pool2d or max_pool2d_grad natively for float32/float64 NHWC images."""
    return _plan(builder, node, "max")


def plan_avg_pool(builder, node: int) -> bool:
    """Plan avg_pool2d or avg_pool2d_grad natively for float32/float64 NHWC images."""
    return _plan(builder, node, "avg")
