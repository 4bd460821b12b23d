"""conv2d and its two gradients as im2col/col2im kernels around the native GEMM.

conv2d:         cols = im2col(x);  y = cols @ w                   (w viewed as [kh*kw*c, o])
backprop_filter: cols = im2col(x); dw = cols^T @ dy
backprop_input:  dcols = dy @ w^T; dx = col2im(dcols)             (sums overlapping windows)

`cols` is a plan temporary of [n*out_h*out_w, kh*kw*c]; padding reads as zeros and is never
written. im2col splits rows between threads; col2im splits images (their pixels are disjoint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64
from fuseflow.compiler.matmul import MatmulKernel
from fuseflow.core.ops._windows import window
from fuseflow.core.shape import TensorSpec

PARALLEL_MIN_ELEMENTS = 1 << 15


@dataclass
class Im2colKernel:
    """cols[(b, oh, ow), (i, j, c)] = image[b, oh*sh - top + i*dh, ow*sw - left + j*dw, c] or 0;
    with `gather=False` the reverse: image (zeroed first) += every window row of cols."""

    name: str
    image: Operand  # [n, h, w, c]
    cols: Operand  # [n * out_h * out_w, kh * kw * c]
    ksize: tuple[int, int]
    strides: tuple[int, int]
    dilations: tuple[int, int]
    out_hw: tuple[int, int]
    pads: tuple[int, int]  # (top, left)
    gather: bool = True

    @property
    def parallel(self) -> bool:
        return int(np.prod(self.cols.shape, dtype=np.int64)) >= PARALLEL_MIN_ELEMENTS and \
            self.image.shape[0] > 1

    def read_slots(self) -> list[int]:
        return [self.image.slot if self.gather else self.cols.slot]

    def written_slots(self) -> list[int]:
        return [self.cols.slot if self.gather else self.image.slot]


def _emit_body(b: ir.IRBuilder, k: Im2colKernel, image, cols, lo, hi) -> None:
    n, h, w, c = k.image.shape
    (kh, kw), (sh, sw), (dh, dw), (oh_n, ow_n), (top, left) = (
        k.ksize, k.strides, k.dilations, k.out_hw, k.pads)
    zero = ir.Constant(storage_type(k.image.dtype), 0.0)
    if not k.gather:  # col2im: clear this task's images, then accumulate
        with for_range(b, b.mul(lo, i64(h * w * c)), b.mul(hi, i64(h * w * c)), "z") as z:
            b.store(zero, b.gep(image, [z]))
    with for_range(b, lo, hi, "n") as bi:
        with for_range(b, 0, oh_n, "oh") as oh:
            with for_range(b, 0, ow_n, "ow") as ow:
                row = b.add(b.mul(b.add(b.mul(bi, i64(oh_n)), oh), i64(ow_n)), ow)
                base = b.mul(row, i64(kh * kw * c))
                # Taps are runtime loops, not unrolled: one copy of the channel loop keeps
                # LLVM's compile time small.
                with for_range(b, 0, kh, "i") as i:
                    ih = b.add(b.mul(oh, i64(sh)), b.sub(b.mul(i, i64(dh)), i64(top)))
                    with for_range(b, 0, kw, "j") as j:
                        iw = b.add(b.mul(ow, i64(sw)), b.sub(b.mul(j, i64(dw)), i64(left)))
                        inside = b.and_(b.icmp_unsigned("<", ih, i64(h)),
                                        b.icmp_unsigned("<", iw, i64(w)))
                        pixel = b.mul(b.add(b.mul(b.add(b.mul(bi, i64(h)), ih), i64(w)), iw),
                                      i64(c))
                        col = b.add(base, b.mul(b.add(b.mul(i, i64(kw)), j), i64(c)))
                        _tap(b, k, image, cols, inside, pixel, col, c, zero)


def _tap(b, k, image, cols, inside, pixel, col, c, zero) -> None:
    with b.if_else(inside) as (then, otherwise):
        with then:
            with for_range(b, 0, c, "c") as ch:
                src = b.gep(image, [b.add(pixel, ch)])
                dst = b.gep(cols, [b.add(col, ch)])
                if k.gather:
                    b.store(b.load(src), dst)
                else:
                    b.store(b.fadd(b.load(src), b.load(dst)), src)
        with otherwise:
            if k.gather:
                with for_range(b, 0, c, "p") as ch:
                    b.store(zero, b.gep(cols, [b.add(col, ch)]))


def emit_im2col(kernel: Im2colKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split the images."""
    return emit_split_task(
        module, kernel.name, [kernel.image, kernel.cols], kernel.image.shape[0],
        lambda b, buffers, lo, hi: _emit_body(b, kernel, *buffers, lo, hi))


def plan_conv(builder, node: int) -> bool:
    """Plan conv2d / conv2d_backprop_filter / conv2d_backprop_input as im2col + GEMM."""
    graph = builder.graph
    op, attrs = graph.op(node), graph.attrs(node)
    ins = [builder._operand(p, i) for p, i in graph.input_edges(node)]
    spec = builder.specs[node]
    dtype = spec.dtype.np_dtype
    if dtype not in (np.float32, np.float64) or any(o.dtype != dtype for o in ins):
        return False
    if op == "conv2d":
        x, w = ins
        image_shape, ksize = x.shape, w.shape[:2]
    elif op == "conv2d_backprop_filter":
        x, dy = ins
        image_shape, ksize = x.shape, tuple(attrs["filter_shape"][:2])
    elif op == "conv2d_backprop_input":
        w, dy = ins
        image_shape, ksize = tuple(spec.shape), w.shape[:2]
    else:
        return False
    n, h, wd, c = image_shape
    win = window(op, (h, wd), ksize, attrs["strides"], attrs["padding"], attrs["dilations"])
    rows, depth = n * win.out[0] * win.out[1], ksize[0] * ksize[1] * c
    cols_slot = builder.plan.add_slot("temp", TensorSpec((rows, depth), spec.dtype))
    cols = Operand(cols_slot, (rows, depth), dtype)
    out = Operand(builder._result_slot(node), tuple(spec.shape), dtype)
    geometry = (tuple(ksize), tuple(win.strides), tuple(win.dilations), tuple(win.out),
                (win.pads[0][0], win.pads[1][0]))
    nodes = [node]
    if op == "conv2d":
        builder._add_kernel(Im2colKernel(builder._kernel_name("im2col"), x, cols, *geometry),
                            nodes)
        o = w.shape[3]
        builder._add_kernel(MatmulKernel(builder._kernel_name("conv2d"), cols, w, out, rows, o,
                                         depth, 1, False, False, False, False), nodes)
    elif op == "conv2d_backprop_filter":
        builder._add_kernel(Im2colKernel(builder._kernel_name("im2col"), x, cols, *geometry),
                            nodes)
        o = dy.shape[3]
        builder._add_kernel(MatmulKernel(builder._kernel_name("conv2d_filter_grad"), cols, dy,
                                         out, depth, o, rows, 1, True, False, False, False),
                            nodes)
    else:
        o = dy.shape[3]
        builder._add_kernel(MatmulKernel(builder._kernel_name("conv2d_input_grad"), dy, w, cols,
                                         rows, depth, o, 1, False, True, False, False), nodes)
        builder._add_kernel(Im2colKernel(builder._kernel_name("col2im"), out, cols, *geometry,
                                         gather=False), nodes)
    return True
