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

from fuseflow.compiler.irtypes import I64, PTR, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer, task_range
from fuseflow.compiler.scalar_ir import IRScalarBuilder, Scalar
from fuseflow.compiler.threadpool import PARALLEL_NAME, TASK_TYPE

PARALLEL_MIN_ELEMENTS = 1 << 16
COMBINERS = ("add", "mul", "max", "min")
TILE_BYTES = 256  # one column tile's accumulators: 8 AVX2 registers
SPLIT_R_MAX_A = 16  # below this many outer rows, threads split the reduced rows instead
CHUNK_MIN_ROWS = 128
MAX_CHUNKS = 32
PARTIALS_MAX_BYTES = 1 << 16  # the per-chunk partial rows live on the kernel's stack


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
    def _large(self) -> bool:
        return self.a * self.r * self.b >= PARALLEL_MIN_ELEMENTS

    @property
    def chunks(self) -> int:
        """Fixed slices of R reduced apart and combined in order (1: R is not split).

        The slices do not depend on the thread count, so every run gives the same bits.
        """
        if self.b == 1 or self.a >= SPLIT_R_MAX_A or not self._large:
            return 1
        chunks = min(MAX_CHUNKS, self.r // CHUNK_MIN_ROWS)
        return chunks if chunks > 1 and self.a * chunks * self.b * 8 <= PARTIALS_MAX_BYTES else 1

    @property
    def parallel(self) -> bool:
        # a kernel with chunks runs on one thread and hands its chunks to the pool itself
        return self._large and max(self.a, self.b) > 1 and self.chunks == 1

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


def _combine_lanes(b: ir.IRBuilder, kind: str, acc, x):
    """`_combine` on float vectors, lane by lane (NaN wins max and min, as np.maximum)."""
    if kind in ("add", "mul"):
        return (b.fadd if kind == "add" else b.fmul)(acc, x)
    chosen = b.select(b.fcmp_ordered(">" if kind == "max" else "<", acc, x), acc, x)
    return b.select(b.fcmp_unordered("uno", acc, acc), acc, chosen)


def _acc_dtype(kernel: ReductionKernel) -> np.dtype:
    wide = kernel.combine == "add" and kernel.x.dtype == np.float32
    return np.dtype(np.float64) if wide else kernel.x.dtype


def _finish(sb: IRScalarBuilder, kernel: ReductionKernel, acc: Scalar) -> Scalar:
    if kernel.epilogue is not None:
        acc = sb._as(kernel.epilogue(sb, acc, kernel.r), acc.dtype)
    return sb.cast(acc, kernel.out.dtype)


def _fold(b: ir.IRBuilder, lo, hi, init, step, name: str = "r"):
    """`acc` after `acc = step(acc, r)` for r in [lo, hi), starting from `init` (a phi loop)."""
    pre = b.block
    body = b.function.append_basic_block(f"{name}.body")
    after = b.function.append_basic_block(f"{name}.end")
    b.cbranch(b.icmp_signed("<", lo, hi), body, after)
    b.position_at_end(body)
    r = b.phi(I64, name=name)
    acc = b.phi(init.type, name="acc")
    new = step(acc, r)
    r_next = b.add(r, i64(1))
    last = b.block
    b.cbranch(b.icmp_signed("<", r_next, hi), body, after)
    r.add_incoming(lo, pre)
    r.add_incoming(r_next, last)
    acc.add_incoming(init, pre)
    acc.add_incoming(new, last)
    b.position_at_end(after)
    result = b.phi(init.type)
    result.add_incoming(init, pre)
    result.add_incoming(new, last)
    return result


def _rows(b: ir.IRBuilder, kernel: ReductionKernel, x, out, lo, hi) -> None:
    dtype = _acc_dtype(kernel)
    sb = IRScalarBuilder(b, dtype)
    with for_range(b, lo, hi, "a") as a:
        start = b.mul(a, i64(kernel.r))

        def step(acc, r):
            value = sb.cast(sb.wrap(b.load(b.gep(x, [b.add(start, r)])), kernel.x.dtype), dtype)
            return _combine(sb, kernel.combine, sb.wrap(acc, dtype), value).value

        result = _fold(b, i64(0), i64(kernel.r), sb.const(kernel.identity, dtype).value, step)
        b.store(_finish(sb, kernel, sb.wrap(result, dtype)).value, b.gep(out, [a]))


# -- columns (B > 1): a tile of B in vector registers while the loop runs down R -----------------

def _tiling(kernel: ReductionKernel) -> tuple[int, int, int]:
    """(lanes per tile, full tiles, lanes of the last partial tile) across B."""
    lanes = min(kernel.b, TILE_BYTES // _acc_dtype(kernel).itemsize)
    return (lanes, *divmod(kernel.b, lanes))


class _Columns:
    """Emits column reductions over tiles of `lanes` adjacent outputs held in vector registers."""

    def __init__(self, b: ir.IRBuilder, kernel: ReductionKernel):
        self.b, self.k = b, kernel
        self.acc = _acc_dtype(kernel)
        self.lanes, self.full, self.tail = _tiling(kernel)
        self.tiles = self.full + (self.tail > 0)
        self.row = b.alloca(ir.ArrayType(storage_type(self.acc), self.lanes))  # entry: registers

    def vector(self, dtype: np.dtype, lanes: int) -> ir.VectorType:
        return ir.VectorType(storage_type(dtype), lanes)

    def each_tile(self, lo, hi, emit) -> None:
        """`emit(b0, lanes)` for tiles [lo, hi) (IR values): full ones in a loop, then the tail."""
        b = self.b
        with for_range(b, lo, b.select(b.icmp_signed("<", hi, i64(self.full)), hi,
                                       i64(self.full)), "tile") as t:
            emit(b.mul(t, i64(self.lanes)), self.lanes)
        if self.tail:
            last = i64(self.full)
            with b.if_then(b.and_(b.icmp_signed("<=", lo, last), b.icmp_signed(">", hi, last))):
                emit(i64(self.full * self.lanes), self.tail)

    def fold(self, x, start, r_lo, r_hi, lanes: int):
        """The combine over rows [r_lo, r_hi) of the `lanes` columns from element `start`."""
        b, k = self.b, self.k
        elem = storage_type(self.acc)
        init = ir.Constant(self.vector(self.acc, lanes), [ir.Constant(elem, k.identity)] * lanes)
        ptr_ty = self.vector(k.x.dtype, lanes).as_pointer()

        def step(acc, r):
            at = b.gep(x, [b.add(start, b.mul(r, i64(k.b)))])
            value = b.load(b.bitcast(at, ptr_ty), align=k.x.dtype.itemsize)
            if self.acc != k.x.dtype:
                value = b.fpext(value, self.vector(self.acc, lanes))
            return _combine_lanes(b, k.combine, acc, value)

        return _fold(b, r_lo, r_hi, init, step)

    def store(self, vec, dest, lanes: int) -> None:
        """Store accumulators `vec` at `dest` (a pointer to the accumulator type)."""
        self.b.store(vec, self.b.bitcast(dest, self.vector(self.acc, lanes).as_pointer()),
                     align=self.acc.itemsize)

    def finish(self, vec, out, at, lanes: int) -> None:
        """out[at + j] = epilogue(lane j of `vec`), cast to the output dtype."""
        b = self.b
        self.store(vec, b.gep(self.row, [i64(0), i64(0)]), lanes)
        sb = IRScalarBuilder(b, self.acc)
        with for_range(b, 0, lanes, "lane") as j:
            acc = sb.wrap(b.load(b.gep(self.row, [i64(0), j])), self.acc)
            b.store(_finish(sb, self.k, acc).value, b.gep(out, [b.add(at, j)]))


def _columns(b: ir.IRBuilder, kernel: ReductionKernel, x, out, lo, hi, split_b: bool) -> None:
    cols = _Columns(b, kernel)
    a_lo, a_hi = (i64(0), i64(kernel.a)) if split_b else (lo, hi)
    t_lo, t_hi = (lo, hi) if split_b else (i64(0), i64(cols.tiles))
    with for_range(b, a_lo, a_hi, "a") as a:
        def tile(b0, lanes):
            start = b.add(b.mul(a, i64(kernel.r * kernel.b)), b0)
            vec = cols.fold(x, start, i64(0), i64(kernel.r), lanes)
            cols.finish(vec, out, b.add(b.mul(a, i64(kernel.b)), b0), lanes)

        cols.each_tile(t_lo, t_hi, tile)


def _chunk_task(kernel: ReductionKernel, module: ir.Module) -> ir.Function:
    """Pool task: partial rows of the fixed R chunks [lo, hi) (over all A) of this thread."""
    task = ir.Function(module, TASK_TYPE, f"{kernel.name}.chunks")
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    cols = _Columns(b, kernel)
    shared = b.bitcast(task.args[0], PTR.as_pointer())
    items = b.bitcast(b.load(b.gep(shared, [i64(0)])), PTR.as_pointer())
    partials = b.bitcast(b.load(b.gep(shared, [i64(1)])), storage_type(cols.acc).as_pointer())
    x = slot_pointer(b, items, kernel.x.slot, kernel.x.dtype)
    k = kernel.chunks
    lo, hi = task_range(b, kernel.a * k, task.args[1], task.args[2])
    with for_range(b, lo, hi, "w") as w:
        a, c = b.sdiv(w, i64(k)), b.srem(w, i64(k))
        r_lo = b.sdiv(b.mul(c, i64(kernel.r)), i64(k))
        r_hi = b.sdiv(b.mul(b.add(c, i64(1)), i64(kernel.r)), i64(k))

        def tile(b0, lanes):
            start = b.add(b.mul(a, i64(kernel.r * kernel.b)), b0)
            vec = cols.fold(x, start, r_lo, r_hi, lanes)
            cols.store(vec, b.gep(partials, [b.add(b.mul(w, i64(kernel.b)), b0)]), lanes)

        cols.each_tile(i64(0), i64(cols.tiles), tile)
    b.ret_void()
    return task


def _emit_chunked(kernel: ReductionKernel, module: ir.Module) -> ir.Function:
    """Run the chunk tasks on the pool, then combine each output's partials in chunk order."""
    inner = _chunk_task(kernel, module)
    parallel = module.globals.get(PARALLEL_NAME) or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [TASK_TYPE.as_pointer(), PTR]), PARALLEL_NAME)
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    acc = _acc_dtype(kernel)
    k, width = kernel.chunks, kernel.b
    partials = b.alloca(storage_type(acc), i64(kernel.a * k * width))
    shared = b.alloca(PTR, i64(2))
    b.store(task.args[0], b.gep(shared, [i64(0)]))
    b.store(b.bitcast(partials, PTR), b.gep(shared, [i64(1)]))
    b.call(parallel, [inner, b.bitcast(shared, PTR)])
    out = slot_pointer(b, b.bitcast(task.args[0], PTR.as_pointer()), kernel.out.slot,
                       kernel.out.dtype)
    sb = IRScalarBuilder(b, acc)
    with for_range(b, 0, kernel.a * width, "o") as o:
        base = b.add(b.mul(b.sdiv(o, i64(width)), i64(k * width)), b.srem(o, i64(width)))

        def step(total, c):
            part = sb.wrap(b.load(b.gep(partials, [b.add(base, b.mul(c, i64(width)))])), acc)
            return _combine(sb, kernel.combine, sb.wrap(total, acc), part).value

        total = _fold(b, i64(0), i64(k), sb.const(kernel.identity, acc).value, step, "c")
        b.store(_finish(sb, kernel, sb.wrap(total, acc)).value, b.gep(out, [o]))
    b.ret_void()
    return task


def emit_reduction(kernel: ReductionKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: tasks split A (rows or many outer rows), else B's tiles.

    Column reductions with few outer rows and a long R split R into fixed chunks instead.
    """
    if kernel.chunks > 1:
        return _emit_chunked(kernel, module)
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
    lanes, full, tail = _tiling(kernel) if split_b else (0, 0, 0)
    total = full + (tail > 0) if split_b else kernel.a
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
