"""Movement ops as native strided copies: transpose, strided_slice, reverse, pad, concat.

Every op here is a list of pieces, each an affine copy
`out[dst_offset + sum(i_k * dst_k)] = src[src_offset + sum(i_k * src_k)]` over a box of indices;
input strides may be negative (reversed axes) or zero (broadcast axes). A pad splits each axis
into three regions (before, middle, after): a constant pad fills every box outside the middle
with its constant (a fill piece), a mirror pad copies them reflected. Pieces never overlap, so a
large kernel splits every piece's leading axes across the thread pool with no ordering between
tasks. Pieces are simplified while planning (unit axes dropped, contiguous axes merged) so the
innermost loop is as long as possible.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import I64, PTR, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer, task_range
from fuseflow.compiler.threadpool import TASK_TYPE

FILL = -1  # the `source` of a piece that stores the kernel's fill constant
# Copies are memory bound: below ~256 KB of float32 output a second thread costs more than it saves.
PARALLEL_MIN_ELEMENTS = 1 << 16
TILE_BYTES = 64  # transposing copies move square tiles of one cache line a side
SPLIT_MIN_ROWS = 64  # a parallel piece splits its leading axes, flattened until this many rows
_MIRROR = {"REFLECT": 1, "SYMMETRIC": 0}  # REFLECT leaves out the edge element


@dataclass(frozen=True)
class Piece:
    """One affine copy from source `source` (FILL: the fill constant) into the output."""

    source: int
    shape: tuple[int, ...]
    src_offset: int
    src_strides: tuple[int, ...]
    dst_offset: int
    dst_strides: tuple[int, ...]


@dataclass
class CopyKernel:
    """out = pieces copied from `sources` or filled with `fill`; the pieces tile the output."""

    name: str
    sources: tuple[Operand, ...]
    out: Operand
    pieces: tuple[Piece, ...]
    fill: object = None

    @property
    def parallel(self) -> bool:
        return int(np.prod(self.out.shape, dtype=np.int64)) >= PARALLEL_MIN_ELEMENTS

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


def _box(piece: Piece, axis: int, start: int, stop: int) -> Piece:
    """The part of `piece` with `start <= index < stop` along `axis`."""
    shape = list(piece.shape)
    shape[axis] = stop - start
    return Piece(piece.source, tuple(shape), piece.src_offset + start * piece.src_strides[axis],
                 piece.src_strides, piece.dst_offset + start * piece.dst_strides[axis],
                 piece.dst_strides)


def tile(piece: Piece, block: int) -> list[Piece]:
    """A transposing copy as `block` x `block` tiles (and its untiled edges), else `[piece]`.

    The inner loop writes the output contiguously; when it reads the source with a long
    stride, every element touches a new cache line. Tiling the inner axis with the axis the
    source is contiguous along reuses each line `block` times while it is still in L1.
    """
    last = len(piece.shape) - 1
    if last < 1 or abs(piece.src_strides[last]) == 1 or piece.source == FILL:
        return [piece]
    inner = [a for a in range(last) if abs(piece.src_strides[a]) == 1]
    if not inner or min(piece.shape[inner[0]], piece.shape[last]) < 2 * block:
        return [piece]
    a = inner[0]
    main_a, main_l = (piece.shape[k] - piece.shape[k] % block for k in (a, last))
    core = _box(_box(piece, a, 0, main_a), last, 0, main_l)
    rest = [_box(piece, a, main_a, piece.shape[a]), _box(_box(piece, a, 0, main_a), last,
                                                          main_l, piece.shape[last])]
    others = [k for k in range(last) if k != a]
    order = [(core.shape[k], core.src_strides[k], core.dst_strides[k]) for k in others]
    for k in (a, last):  # the tile grid, then the tile
        order.append((core.shape[k] // block, core.src_strides[k] * block,
                      core.dst_strides[k] * block))
    for k in (a, last):
        order.append((block, core.src_strides[k], core.dst_strides[k]))
    tiled = Piece(core.source, tuple(o[0] for o in order), core.src_offset,
                  tuple(o[1] for o in order), core.dst_offset, tuple(o[2] for o in order))
    return [tiled] + [p for p in rest if all(p.shape)]


def _fill_constant(ty: ir.Type, value) -> ir.Constant:
    if isinstance(ty, ir.IntType):
        return ir.Constant(ty, int(value))
    return ir.Constant(ty, float(value))


def split_depth(shape: tuple[int, ...], parallel: bool) -> int:
    """How many leading axes a piece's tasks split (flattened): enough rows to share out."""
    if not parallel:
        return 1
    rows = 1
    for depth, dim in enumerate(shape, 1):
        rows *= dim
        if rows >= SPLIT_MIN_ROWS:
            return depth
    return len(shape)


def _emit_piece(b: ir.IRBuilder, piece: Piece, src, out, value, task, parallel: bool) -> None:
    """This task's share of `piece`: rows [lo, hi) of its flattened leading axes."""
    shape = piece.shape or (1,)  # a single element: one row of one
    src_strides, dst_strides = piece.src_strides or (0,), piece.dst_strides or (0,)
    depth = split_depth(shape, parallel)

    def nest(axis: int, s_at, d_at) -> None:
        if axis == len(shape):
            b.store(value if src is None else b.load(b.gep(src, [s_at])), b.gep(out, [d_at]))
            return
        with for_range(b, 0, shape[axis], f"a{axis}") as i:
            nest(axis + 1, b.add(s_at, b.mul(i, i64(src_strides[axis]))),
                 b.add(d_at, b.mul(i, i64(dst_strides[axis]))))

    lo, hi = task_range(b, int(np.prod(shape[:depth], dtype=np.int64)), *task)
    with for_range(b, lo, hi, "row") as row:
        s_at, d_at, rest = i64(piece.src_offset), i64(piece.dst_offset), row
        for axis in reversed(range(depth)):
            index = rest if axis == 0 else b.urem(rest, i64(shape[axis]))
            rest = b.udiv(rest, i64(shape[axis])) if axis else rest
            s_at = b.add(s_at, b.mul(index, i64(src_strides[axis])))
            d_at = b.add(d_at, b.mul(index, i64(dst_strides[axis])))
        nest(depth, s_at, d_at)


def _emit_body(kernel: CopyKernel, module: ir.Module) -> ir.Function:
    """`<name>.body(sources..., out, task, ntasks)`: the task's share of every piece."""
    operands = [*kernel.sources, kernel.out]
    types = [storage_type(op.dtype).as_pointer() for op in operands]
    body = ir.Function(module, ir.FunctionType(ir.VoidType(), [*types, I64, I64]),
                       f"{kernel.name}.body")
    body.linkage = "internal"
    for arg in body.args[:len(operands)]:
        arg.add_attribute("noalias")  # the output never shares a buffer with a source
    b = ir.IRBuilder(body.append_basic_block("entry"))
    *sources, out = body.args[:len(operands)]
    value = None
    if kernel.fill is not None:
        value = _fill_constant(storage_type(kernel.out.dtype), kernel.fill)
    for piece in kernel.pieces:
        src = None if piece.source == FILL else sources[piece.source]
        _emit_piece(b, piece, src, out, value, body.args[-2:], kernel.parallel)
    b.ret_void()
    return body


def emit_copy(kernel: CopyKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task; each task copies its share of every piece."""
    body = _emit_body(kernel, module)
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    pointers = [slot_pointer(b, items, op.slot, op.dtype) for op in (*kernel.sources, kernel.out)]
    b.call(body, [*pointers, task.args[1], task.args[2]])
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
    block = max(1, TILE_BYTES // np.dtype(dtype).itemsize)
    kept = tuple(t for p in map(simplify, pieces) if p is not None for t in tile(p, block))
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


def _regions(dim: int, lo: int, hi: int, mode: str) -> list[tuple[int, int, int, int | None]]:
    """(out start, count, source start, source step; None: filled) of one axis of a pad."""
    if mode == "CONSTANT":
        return [(0, lo, 0, None), (lo, dim, 0, 1), (lo + dim, hi, 0, None)]
    shift = _MIRROR[mode]
    # out[lo - 1 - j] = x[shift + j]; out[lo + dim + j] = x[dim - 1 - shift - j]
    return [(0, lo, lo - 1 + shift, -1), (lo, dim, 0, 1),
            (lo + dim, hi, dim - 1 - shift, -1)]


def plan_pad(builder, node: int) -> bool:
    """Every box of the 3 regions per axis: filled (constant pads) or copied."""
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
        if any(step is None for *_, step in combo):
            pieces.append(Piece(FILL, shape, 0, (0,) * len(shape), dst_offset, dst_strides))
            continue
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
