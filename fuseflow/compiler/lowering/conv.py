"""conv2d and its two gradients as im2col/col2im kernels around the native GEMM.

conv2d:         cols = im2col(x);  y = cols @ w                   (w viewed as [kh*kw*c, o])
backprop_filter: cols = im2col(x); dw = cols^T @ dy
backprop_input:  dcols = dy @ w^T; dx = col2im(dcols)             (sums overlapping windows)

`cols` is a plan temporary of [n*out_h*out_w, kh*kw*c]; padding reads as zeros and is never
written. im2col splits rows between threads; col2im splits images (their pixels are disjoint).
A filter gradient reuses its forward conv's `cols`; a small one sums row blocks separately.
conv2d's GEMM can take an epilogue (bias, activation, ...): see `plan_rules.epilogue_consumer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.fused import fused_name
from fuseflow.compiler.irtypes import storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64
from fuseflow.compiler.lowering.reduction import ReductionKernel
from fuseflow.compiler.matmul import Epilogue, MatmulKernel
from fuseflow.core.dtypes import as_dtype
from fuseflow.core.ops._windows import window
from fuseflow.core.shape import TensorSpec

PARALLEL_MIN_ELEMENTS = 1 << 15
K_SPLIT_MAX_OUTPUT = 4096  # filter gradients up to this many elements split their row sum
K_SPLIT_MIN_ROWS = 1024  # ... into parts of at least this many rows
K_SPLIT_PARTS = (4, 2)  # tried in order; a part count must divide the rows


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

    @property
    def geometry(self) -> tuple:
        return self.ksize, self.strides, self.dilations, self.out_hw, self.pads

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


@dataclass
class _Conv:
    """One conv node being planned: its GEMM view and where its kernels go."""

    builder: object
    nodes: list[int]  # the conv (and the consumer its epilogue computes)
    geometry: tuple  # Im2colKernel's ksize, strides, dilations, out_hw, pads
    rows: int  # n * out_h * out_w
    depth: int  # kh * kw * c
    out: Operand
    epilogue: Epilogue | None

    def cols(self) -> Operand:
        spec = TensorSpec((self.rows, self.depth), as_dtype(self.out.dtype))
        return Operand(self.builder.plan.add_slot("temp", spec), (self.rows, self.depth),
                       self.out.dtype)

    def add(self, kernel, gemm: bool = True) -> None:
        """Add a kernel; only the GEMM computes the epilogue's consumer too."""
        self.builder._add_kernel(kernel, self.nodes if gemm else self.nodes[:1])

    def name(self, what: str) -> str:
        return self.builder._kernel_name(what)


def plan_conv(builder, node: int, epilogue: Epilogue | None = None,
              consumer: int | None = None) -> bool:
    """Plan conv2d / conv2d_backprop_filter / conv2d_backprop_input as im2col + GEMM.

    With an epilogue (conv2d only) the GEMM applies it to each output row block it finishes
    and writes `consumer`'s result: the conv's own output is never stored.
    """
    graph = builder.graph
    op, attrs = graph.op(node), graph.attrs(node)
    ins = [builder._operand(p, i) for p, i in graph.input_edges(node)]
    spec = builder.specs[node]
    dtype = spec.dtype.np_dtype
    if dtype not in (np.float32, np.float64) or any(o.dtype != dtype for o in ins) or \
            op not in _PLANNERS or (epilogue is not None and op != "conv2d"):
        return False
    image_shape, ksize = _image_and_kernel(op, ins, attrs, tuple(spec.shape))
    n, h, wd, c = image_shape
    win = window(op, (h, wd), ksize, attrs["strides"], attrs["padding"], attrs["dilations"])
    geometry = (tuple(ksize), tuple(win.strides), tuple(win.dilations), tuple(win.out),
                (win.pads[0][0], win.pads[1][0]))
    written = node if consumer is None else consumer
    out = Operand(builder._result_slot(written), tuple(spec.shape), dtype)
    conv = _Conv(builder, [node] if consumer is None else [node, consumer], geometry,
                 n * win.out[0] * win.out[1], ksize[0] * ksize[1] * c, out, epilogue)
    _PLANNERS[op](conv, *ins)
    return True


def _image_and_kernel(op: str, ins: list[Operand], attrs, out_shape: tuple) -> tuple:
    """(the NHWC image's shape, the kernel's (kh, kw)) of a conv op."""
    if op == "conv2d":
        return ins[0].shape, ins[1].shape[:2]
    if op == "conv2d_backprop_filter":
        return ins[0].shape, tuple(attrs["filter_shape"][:2])
    return out_shape, ins[0].shape[:2]


def _forward(conv: _Conv, x: Operand, w: Operand) -> None:
    cols = _im2col(conv, x)
    o = w.shape[3]
    name = "conv2d" if conv.epilogue is None else fused_name(
        (("conv2d", None, ()),) + tuple((e.op, None, ()) for e in conv.epilogue.entries))
    conv.add(MatmulKernel(conv.name(name), cols, w, conv.out, conv.rows, o, conv.depth, 1,
                          False, False, False, False, conv.epilogue))


def _filter_grad(conv: _Conv, x: Operand, dy: Operand) -> None:
    cols, o = _im2col(conv, x), dy.shape[3]
    parts = _k_parts(conv.depth, o, conv.rows)
    if parts == 1:
        conv.add(MatmulKernel(conv.name("conv2d_filter_grad"), cols, dy, conv.out, conv.depth,
                              o, conv.rows, 1, True, False, False, False))
        return
    # A small filter summed over many rows: the GEMM's own split (over M or N) would leave
    # each thread packing the whole other operand for a sliver of output. Split the sum over
    # rows instead (a batch of `parts` GEMMs) and add the partial filters up.
    k = conv.rows // parts
    spec = TensorSpec((parts, conv.depth, o), as_dtype(conv.out.dtype))
    partial = Operand(conv.builder.plan.add_slot("temp", spec), spec.shape, conv.out.dtype)
    cols = Operand(cols.slot, (parts, k, conv.depth), cols.dtype)
    dy = Operand(dy.slot, (parts, k, o), dy.dtype)
    conv.add(MatmulKernel(conv.name("conv2d_filter_grad"), cols, dy, partial, conv.depth, o, k,
                          parts, True, False, True, True))
    conv.add(ReductionKernel(conv.name("conv2d_filter_grad_sum"), partial, conv.out, 1, parts,
                             conv.depth * o, "add", 0.0))


def _k_parts(depth: int, o: int, rows: int) -> int:
    """How many row blocks a filter gradient's GEMM sums separately (1: one plain GEMM)."""
    if depth * o > K_SPLIT_MAX_OUTPUT:
        return 1
    return next((p for p in K_SPLIT_PARTS if rows % p == 0 and rows // p >= K_SPLIT_MIN_ROWS),
                1)


def _input_grad(conv: _Conv, w: Operand, dy: Operand) -> None:
    cols = conv.cols()
    conv.add(MatmulKernel(conv.name("conv2d_input_grad"), dy, w, cols, conv.rows, conv.depth,
                          dy.shape[3], 1, False, True, False, False))
    conv.add(Im2colKernel(conv.name("col2im"), conv.out, cols, *conv.geometry, gather=False))


def _im2col(conv: _Conv, image: Operand) -> Operand:
    """The im2col matrix of `image`: one an earlier kernel of the plan wrote, or a new one.

    A training step's filter gradient needs the very matrix its forward conv built. While
    planning, a slot holds one graph value and is written once, so an im2col of the same slot
    with the same geometry is that matrix already.
    """
    for step in conv.builder.plan.steps:
        if isinstance(step, Im2colKernel) and step.gather and step.image == image and \
                step.geometry == conv.geometry:
            return step.cols
    cols = conv.cols()
    conv.add(Im2colKernel(conv.name("im2col"), image, cols, *conv.geometry), gemm=False)
    return cols


_PLANNERS = {"conv2d": _forward, "conv2d_backprop_filter": _filter_grad,
             "conv2d_backprop_input": _input_grad}
