"""Movement ops as native strided copies: transpose, strided_slice, reverse, pad, concat.

Every op here is a list of pieces, each an affine copy
`out[dst_offset + sum(i_k * dst_k)] = src[src_offset + sum(i_k * src_k)]` over a box of indices;
input strides may be negative (reversed axes) or zero (broadcast axes). Pad first fills the whole
output with its constant; a reflect pad splits each axis into three affine regions (left mirror,
middle, right mirror). Pieces are simplified while planning (unit axes dropped, contiguous axes
merged) so the innermost loop is as long as possible.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import PTR, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer
from fuseflow.compiler.threadpool import TASK_TYPE

_MIRROR = {"REFLECT": 1, "SYMMETRIC": 0}  # REFLECT leaves out the edge element


@dataclass(frozen=True)
class Piece:
    """One affine copy from source `source` into the output."""

    source: int
    shape: tuple[int, ...]
    src_offset: int
    src_strides: tuple[int, ...]
    dst_offset: int
    dst_strides: tuple[int, ...]


@dataclass
class CopyKernel:
    """out = pieces copied from `sources`, after filling it with `fill` (None: no fill)."""

    name: str
    sources: tuple[Operand, ...]
    out: Operand
    pieces: tuple[Piece, ...]
    fill: object = None

    parallel = False  # memory bound and usually small: one thread streams it fine

    def read_slots(self) -> list[int]:
        return [op.slot for op in self.sources]

    def written_slots(self) -> list[int]:
        return [self.out.slot]


def contiguous_strides(shape) -> tuple[int, ...]:
    """Element strides of a C-contiguous array of `shape`."""
    strides, step = [], 1
    for dim in reversed(tuple(shape)):
        strides.append(step)
        step *= dim
    return tuple(reversed(strides))


def simplify(piece: Piece) -> Piece | None:
    """The same copy with unit axes dropped and mergeable axes merged (None: copies nothing)."""
    if any(d == 0 for d in piece.shape):
        return None
    axes = [(d, s, t) for d, s, t in zip(piece.shape, piece.src_strides, piece.dst_strides)
            if d != 1]
    merged: list[tuple[int, int, int]] = []
    for d, s, t in axes:
        if merged:
            pd, ps, pt = merged[-1]
            if ps == s * d and pt == t * d:
                merged[-1] = (pd * d, s, t)
                continue
        merged.append((d, s, t))
    return Piece(piece.source, tuple(a[0] for a in merged), piece.src_offset,
                 tuple(a[1] for a in merged), piece.dst_offset, tuple(a[2] for a in merged))


def _fill_constant(ty: ir.Type, value) -> ir.Constant:
    if isinstance(ty, ir.IntType):
        return ir.Constant(ty, int(value))
    return ir.Constant(ty, float(value))


def _emit_piece(b: ir.IRBuilder, piece: Piece, src, out) -> None:
    def nest(axis: int, s_at, d_at) -> None:
        if axis == len(piece.shape):
            b.store(b.load(b.gep(src, [s_at])), b.gep(out, [d_at]))
            return
        with for_range(b, 0, piece.shape[axis], f"a{axis}") as i:
            nest(axis + 1, b.add(s_at, b.mul(i, i64(piece.src_strides[axis]))),
                 b.add(d_at, b.mul(i, i64(piece.dst_strides[axis]))))

    nest(0, i64(piece.src_offset), i64(piece.dst_offset))


def emit_copy(kernel: CopyKernel, module: ir.Module) -> ir.Function:
    """The kernel as a single-task pool function."""
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    out = slot_pointer(b, items, kernel.out.slot, kernel.out.dtype)
    sources = [slot_pointer(b, items, op.slot, op.dtype) for op in kernel.sources]
    size = int(np.prod(kernel.out.shape, dtype=np.int64))
    if kernel.fill is not None:
        value = _fill_constant(storage_type(kernel.out.dtype), kernel.fill)
        with for_range(b, 0, size, "fill") as i:
            b.store(value, b.gep(out, [i]))
    for piece in kernel.pieces:
        _emit_piece(b, piece, sources[piece.source], out)
    b.ret_void()
    return task


# -- planning --------------------------------------------------------------------------------------

def _add(builder, node: int, sources: list[Operand], pieces: list[Piece], fill=None) -> bool:
    spec = builder.specs[node]
    dtype = spec.dtype.np_dtype
    if any(op.dtype != dtype for op in sources):
        return False
    storage_type(dtype)  # raises for dtypes without a native type (checked by _native too)
    out = Operand(builder._result_slot(node), tuple(spec.shape), dtype)
    kept = tuple(p for p in map(simplify, pieces) if p is not None)
    kernel = CopyKernel(builder._kernel_name(builder.graph.op(node)), tuple(sources), out, kept,
                        fill)
    builder._add_kernel(kernel, [node])
    return True


def _inputs(builder, node: int) -> list[Operand]:
    return [builder._operand(p, i) for p, i in builder.graph.input_edges(node)]


def plan_transpose(builder, node: int) -> bool:
    """out[i] = x[i permuted back]: source strides are x's strides in `perm` order."""
    (x,) = _inputs(builder, node)
    perm = builder.graph.attrs(node)["perm"]
    strides = contiguous_strides(x.shape)
    shape = tuple(x.shape[p] for p in perm)
    piece = Piece(0, shape, 0, tuple(strides[p] for p in perm), 0, contiguous_strides(shape))
    return _add(builder, node, [x], [piece])


def plan_reverse(builder, node: int) -> bool:
    """Reversed axes read from their last element with a negated stride."""
    (x,) = _inputs(builder, node)
    axes = builder.graph.attrs(node)["axis"]
    strides = contiguous_strides(x.shape)
    offset = sum(strides[a] * (x.shape[a] - 1) for a in set(axes) if x.shape[a])
    src = tuple(-s if a in axes else s for a, s in enumerate(strides))
    piece = Piece(0, tuple(x.shape), offset, src, 0, strides)
    return _add(builder, node, [x], [piece])


def plan_strided_slice(builder, node: int) -> bool:
    """Slices become (start, step) per axis, ints a fixed offset, new axes a unit dim."""
    (x,) = _inputs(builder, node)
    index = builder.graph.attrs(node)["index"]
    strides = contiguous_strides(x.shape)
    offset, shape, src, axis = 0, [], [], 0
    for entry in index:
        if entry is None:
            shape.append(1)
            src.append(0)
            continue
        dim, stride = x.shape[axis], strides[axis]
        axis += 1
        if type(entry) is not tuple:
            offset += (entry % dim) * stride
            continue
        chosen = range(*slice(*entry).indices(dim))
        shape.append(len(chosen))
        src.append(chosen.step * stride)
        if len(chosen):
            offset += chosen.start * stride
    piece = Piece(0, tuple(shape), offset, tuple(src), 0, contiguous_strides(shape))
    return _add(builder, node, [x], [piece])


def plan_concat(builder, node: int) -> bool:
    """One contiguous copy per input into its range of the concatenated axis."""
    xs = _inputs(builder, node)
    axis = builder.graph.attrs(node)["axis"]
    out_shape = tuple(builder.specs[node].shape)
    dst = contiguous_strides(out_shape)
    pieces, start = [], 0
    for k, x in enumerate(xs):
        pieces.append(Piece(k, tuple(x.shape), 0, contiguous_strides(x.shape),
                            start * dst[axis], dst))
        start += x.shape[axis]
    return _add(builder, node, xs, pieces)


def _regions(dim: int, lo: int, hi: int, mode: str) -> list[tuple[int, int, int, int]]:
    """(out start, count, source start, source step) of one axis of a pad."""
    if mode == "CONSTANT":
        return [(lo, dim, 0, 1)]
    shift = _MIRROR[mode]
    # out[lo - 1 - j] = x[shift + j]; out[lo + dim + j] = x[dim - 1 - shift - j]
    return [(0, lo, lo - 1 + shift, -1), (lo, dim, 0, 1),
            (lo + dim, hi, dim - 1 - shift, -1)]


def plan_pad(builder, node: int) -> bool:
    """Constant pads: fill, then copy the middle; mirror pads: 3 regions per axis."""
    (x,) = _inputs(builder, node)
    attrs = builder.graph.attrs(node)
    mode = attrs["mode"]
    if mode != "CONSTANT" and mode not in _MIRROR:
        return False
    out_shape = tuple(builder.specs[node].shape)
    src_strides, dst_strides = contiguous_strides(x.shape), contiguous_strides(out_shape)
    per_axis = [_regions(d, lo, hi, mode) for d, (lo, hi) in zip(x.shape, attrs["paddings"])]
    pieces = []
    for combo in itertools.product(*per_axis):
        shape = tuple(count for _, count, _, _ in combo)
        if any(count == 0 for count in shape):
            continue
        dst_offset = sum(start * s for (start, *_), s in zip(combo, dst_strides))
        src_offset = sum(first * s for (_, _, first, _), s in zip(combo, src_strides))
        src = tuple(step * s for (*_, step), s in zip(combo, src_strides))
        pieces.append(Piece(0, shape, src_offset, src, dst_offset, dst_strides))
    fill = attrs["constant_values"] if mode == "CONSTANT" else None
    if fill is not None and x.dtype.kind == "b":
        fill = int(bool(fill))
    return _add(builder, node, [x], pieces, fill)


MOVEMENT_LOWERINGS = {"transpose": plan_transpose, "reverse": plan_reverse,
                      "strided_slice": plan_strided_slice, "concat": plan_concat,
                      "pad": plan_pad}
