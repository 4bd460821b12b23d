"""matmul: a blocked, packed GEMM with a register-tiled FMA micro-kernel, emitted in IR.

C[M, N] = A[M, K] @ B[K, N] for float32/float64, any transposes (packing reads through
strides), batches (an operand's batch is either the full batch or broadcast), split between
the pool's threads. Loops follow the Goto/BLIS structure: B panels of KC x NC are packed into
NR-wide slivers, A blocks of MC x KC into MR-tall slivers, and the micro-kernel keeps an MR x NR
tile of C in registers (MR * NR / lanes vector accumulators) across the whole KC loop.

An epilogue (bias add, activation, any single-consumer elementwise expression of a 2-D
product) runs inside the same task over the task's own block of C while it is still in cache,
so the product never makes a round trip through memory and no second kernel is launched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.irtypes import I1, I8, I64, PTR, const, storage_type
from fuseflow.compiler.lowering.elementwise import broadcast_strides, emit_expression
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer
from fuseflow.compiler.mathlib import call_intrinsic
from fuseflow.compiler.scalar_ir import IRScalarBuilder
from fuseflow.compiler.threadpool import MAX_THREADS, TASK_TYPE

KC = 256
MC = 120
NC = 1024
PARALLEL_MIN_FLOPS = 1 << 18


@dataclass(frozen=True)
class Epilogue:
    """Elementwise ops applied to each element of the product before it is stored for good."""

    inputs: tuple  # an Operand per expression input; None marks the product itself
    entries: tuple  # Entry: the expression, indexing inputs first, then earlier entries
    result: int  # the entry stored into the kernel's output


@dataclass
class MatmulKernel:
    """`out[b] = op(a[b]) @ op(b[b])` for each batch index (operands broadcast over batch)."""

    name: str
    a: object  # Operand
    b: object
    out: object
    m: int
    n: int
    k: int
    batch: int
    transpose_a: bool
    transpose_b: bool
    a_batched: bool
    b_batched: bool
    epilogue: Epilogue | None = None

    def read_slots(self) -> list[int]:
        """Slots the kernel reads: both factors and the epilogue's other inputs."""
        extra = [op.slot for op in self.epilogue.inputs if op is not None] if self.epilogue \
            else []
        return [self.a.slot, self.b.slot] + extra

    def written_slots(self) -> list[int]:
        return [self.out.slot]

    @property
    def parallel(self) -> bool:
        return 2 * self.m * self.n * self.k * self.batch >= PARALLEL_MIN_FLOPS

    @property
    def dtype(self) -> np.dtype:
        return self.out.dtype


def tile_shape(dtype: np.dtype) -> tuple[int, int, int]:
    """(MR, NR, lanes) for the host: NR is two vectors; MR fills the register file."""
    codegen = get_codegen()
    lanes = codegen.lanes(np.dtype(dtype).itemsize)
    mr = 12 if codegen.vector_bits >= 512 else 6  # 32 vector registers vs 16
    return mr, 2 * lanes, lanes


class _Gemm:
    """Emits the functions of one dtype's GEMM into a module (once per module and dtype)."""

    def __init__(self, module: ir.Module, dtype: np.dtype):
        self.m = module
        self.dtype = np.dtype(dtype)
        self.t = storage_type(self.dtype)
        self.p = self.t.as_pointer()
        self.mr, self.nr, self.lanes = tile_shape(self.dtype)
        self.vec = ir.VectorType(self.t, self.lanes)
        self.tag = f"gemm_{self.dtype.name}"
        self.micro = self._micro()
        self.pack_a = self._pack("a", self.mr)
        self.pack_b = self._pack("b", self.nr)
        self.gemm = self._gemm()

    def _function(self, name: str, args: list, ret=None) -> tuple[ir.Function, ir.IRBuilder]:
        fn = ir.Function(self.m, ir.FunctionType(ret or ir.VoidType(), args), f"{self.tag}.{name}")
        fn.linkage = "internal"
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    # -- packing: panel[s][k][r] = src[(s * R + r) * rs + k * cs], zero past `rows` -----------
    def _pack(self, which: str, width: int) -> ir.Function:
        fn, b = self._function(f"pack_{which}", [self.p, I64, I64, I64, I64, self.p])
        src, rs, cs, rows, depth, dst = fn.args
        dst.add_attribute("noalias")
        src.add_attribute("noalias")
        slivers = b.sdiv(b.add(rows, i64(width - 1)), i64(width))
        with for_range(b, 0, slivers, "s") as s:
            base = b.mul(s, i64(width))
            full = b.icmp_signed("<=", b.add(base, i64(width)), rows)
            out = b.gep(dst, [b.mul(s, b.mul(depth, i64(width)))])
            with b.if_else(full) as (then, otherwise):
                with then:
                    self._pack_sliver(b, src, rs, cs, base, depth, out, width, None)
                with otherwise:
                    self._pack_sliver(b, src, rs, cs, base, depth, out, width, rows)
        b.ret_void()
        return fn

    def _pack_sliver(self, b, src, rs, cs, base, depth, out, width, rows):
        with for_range(b, 0, depth, "k") as k:
            for r in range(width):
                row = b.add(base, i64(r))
                value = b.load(b.gep(src, [b.add(b.mul(row, rs), b.mul(k, cs))])) \
                    if rows is None else self._guarded_load(b, src, rs, cs, row, k, rows)
                b.store(value, b.gep(out, [b.add(b.mul(k, i64(width)), i64(r))]))

    def _guarded_load(self, b, src, rs, cs, row, k, rows):
        inside = b.icmp_signed("<", row, rows)
        safe_row = b.select(inside, row, i64(0))
        value = b.load(b.gep(src, [b.add(b.mul(safe_row, rs), b.mul(k, cs))]))
        return b.select(inside, value, ir.Constant(self.t, 0))

    # -- micro-kernel ------------------------------------------------------------------------
    def _micro(self) -> ir.Function:
        """C[mr x nr tile] (+)= Ap[kc x MR]^T Bp[kc x NR]; `first` overwrites instead of adding."""
        fn, b = self._function("micro", [I64, self.p, self.p, self.p, I64, I1, I64, I64])
        kc, ap, bp, c, ldc, first, mr, nr = fn.args
        for arg in (ap, bp, c):
            arg.add_attribute("noalias")
        nv = self.nr // self.lanes
        zero = const(self.vec, 0.0)
        pre = b.block
        loop, done = fn.append_basic_block("k.body"), fn.append_basic_block("k.end")
        b.cbranch(b.icmp_signed(">", kc, i64(0)), loop, done)
        b.position_at_end(loop)
        k = b.phi(I64, name="k")
        acc = [[b.phi(self.vec, name=f"c{i}_{v}") for v in range(nv)] for i in range(self.mr)]
        vptr = self.vec.as_pointer()
        bvals = [b.load(b.bitcast(b.gep(bp, [b.add(b.mul(k, i64(self.nr)), i64(v * self.lanes))]),
                                  vptr), align=self.lanes * self.dtype.itemsize)
                 for v in range(nv)]
        new = []
        for i in range(self.mr):
            a = b.load(b.gep(ap, [b.add(b.mul(k, i64(self.mr)), i64(i))]))
            splat = b.shuffle_vector(b.insert_element(ir.Constant(self.vec, None), a, i64(0)),
                                     ir.Constant(self.vec, None),
                                     ir.Constant(ir.VectorType(ir.IntType(32), self.lanes),
                                                 [0] * self.lanes))
            new.append([call_intrinsic(b, "fma", self.vec, [splat, bvals[v], acc[i][v]])
                        for v in range(nv)])
        k_next = b.add(k, i64(1))
        b.cbranch(b.icmp_signed("<", k_next, kc), loop, done)
        k.add_incoming(i64(0), pre)
        k.add_incoming(k_next, loop)
        for i in range(self.mr):
            for v in range(nv):
                acc[i][v].add_incoming(zero, pre)
                acc[i][v].add_incoming(new[i][v], loop)
        b.position_at_end(done)
        final = [[b.phi(self.vec) for v in range(nv)] for i in range(self.mr)]
        for i in range(self.mr):
            for v in range(nv):
                final[i][v].add_incoming(zero, pre)
                final[i][v].add_incoming(new[i][v], loop)
        self._store_tile(b, fn, final, c, ldc, first, mr, nr)
        b.ret_void()
        return fn

    def _store_tile(self, b, fn, tile, c, ldc, first, mr, nr):
        full = b.and_(b.icmp_signed("==", mr, i64(self.mr)), b.icmp_signed("==", nr, i64(self.nr)))
        with b.if_else(full) as (then, otherwise):
            with then:
                for i, row in enumerate(tile):
                    for v, value in enumerate(row):
                        ptr = b.bitcast(b.gep(c, [b.add(b.mul(i64(i), ldc),
                                                        i64(v * self.lanes))]),
                                        self.vec.as_pointer())
                        old = b.select(first, const(self.vec, 0.0),
                                       b.load(ptr, align=self.dtype.itemsize))
                        b.store(b.fadd(old, value), ptr, align=self.dtype.itemsize)
            with otherwise:
                buf = b.alloca(self.t, size=self.mr * self.nr)
                for i, row in enumerate(tile):
                    for v, value in enumerate(row):
                        ptr = b.gep(buf, [i64(i * self.nr + v * self.lanes)])
                        b.store(value, b.bitcast(ptr, self.vec.as_pointer()), align=1)
                with for_range(b, 0, mr, "ti") as ti:
                    with for_range(b, 0, nr, "tj") as tj:
                        src = b.load(b.gep(buf, [b.add(b.mul(ti, i64(self.nr)), tj)]))
                        dst = b.gep(c, [b.add(b.mul(ti, ldc), tj)])
                        old = b.select(first, ir.Constant(self.t, 0), b.load(dst))
                        b.store(b.fadd(old, src), dst)

    # -- the blocked loops -------------------------------------------------------------------
    def _gemm(self) -> ir.Function:
        """gemm(A, rs_a, cs_a, B, rs_b, cs_b, C, ldc, M, N, K, Ap, Bp)."""
        args = [self.p, I64, I64, self.p, I64, I64, self.p, I64, I64, I64, I64, self.p, self.p]
        fn, b = self._function("gemm", args)
        a, rs_a, cs_a, bm, rs_b, cs_b, c, ldc, m, n, k, ap, bp = fn.args
        with for_range(b, 0, n, "jc", NC) as jc:
            nc = _min(b, i64(NC), b.sub(n, jc))
            with for_range(b, 0, k, "pc", KC) as pc:
                kc = _min(b, i64(KC), b.sub(k, pc))
                first = b.icmp_signed("==", pc, i64(0))
                b_src = b.gep(bm, [b.add(b.mul(pc, rs_b), b.mul(jc, cs_b))])
                b.call(self.pack_b, [b_src, cs_b, rs_b, nc, kc, bp])
                with for_range(b, 0, m, "ic", MC) as ic:
                    mc = _min(b, i64(MC), b.sub(m, ic))
                    a_src = b.gep(a, [b.add(b.mul(ic, rs_a), b.mul(pc, cs_a))])
                    b.call(self.pack_a, [a_src, rs_a, cs_a, mc, kc, ap])
                    self._tiles(b, ap, bp, c, ldc, ic, jc, mc, nc, kc, first)
        b.ret_void()
        return fn

    def _tiles(self, b, ap, bp, c, ldc, ic, jc, mc, nc, kc, first):
        with for_range(b, 0, nc, "jr", self.nr) as jr:
            nr = _min(b, i64(self.nr), b.sub(nc, jr))
            b_panel = b.gep(bp, [b.mul(jr, kc)])
            with for_range(b, 0, mc, "ir", self.mr) as ir_:
                mr = _min(b, i64(self.mr), b.sub(mc, ir_))
                a_panel = b.gep(ap, [b.mul(ir_, kc)])
                row, col = b.add(ic, ir_), b.add(jc, jr)
                c_tile = b.gep(c, [b.add(b.mul(row, ldc), col)])
                b.call(self.micro, [kc, a_panel, b_panel, c_tile, ldc, first, mr, nr])


def _min(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _libc(module: ir.Module):
    alloc = module.globals.get("aligned_alloc") or ir.Function(
        module, ir.FunctionType(PTR, [I64, I64]), "aligned_alloc")
    free = module.globals.get("free") or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR]), "free")
    return alloc, free


def _gemm_for(module: ir.Module, dtype: np.dtype) -> _Gemm:
    """The module's GEMM functions for `dtype` (emitted on first use)."""
    emitted = module.__dict__.setdefault("_fuseflow_gemm", {})
    name = np.dtype(dtype).name
    if name not in emitted:
        emitted[name] = _Gemm(module, dtype)
    return emitted[name]


def emit_matmul(kernel: MatmulKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: each task takes a share of the batch, or of N or M."""
    gemm = _gemm_for(module, kernel.dtype)
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    a, bm, c = (slot_pointer(b, items, op.slot, op.dtype) for op in (kernel.a, kernel.b,
                                                                      kernel.out))
    t, nt = task.args[1], task.args[2]
    mr, nr, _ = tile_shape(kernel.dtype)
    split_batch = kernel.batch >= 2 or (kernel.m < mr and kernel.n < nr)
    split_n = not split_batch and kernel.n >= kernel.m
    ranges = _share(b, kernel.batch, t, nt) if split_batch else (i64(0), i64(kernel.batch))
    m_lo, m_hi = (_share(b, kernel.m, t, nt, mr) if not split_batch and not split_n
                  else (i64(0), i64(kernel.m)))
    n_lo, n_hi = (_share(b, kernel.n, t, nt, nr) if split_n else (i64(0), i64(kernel.n)))
    ap, bp, heap = _pack_buffers(b, module, gemm, kernel, t)
    rs_a, cs_a = (i64(1), i64(kernel.m)) if kernel.transpose_a else (i64(kernel.k), i64(1))
    rs_b, cs_b = (i64(1), i64(kernel.k)) if kernel.transpose_b else (i64(kernel.n), i64(1))
    with for_range(b, ranges[0], ranges[1], "batch") as index:
        a_off = b.mul(index, i64(kernel.m * kernel.k)) if kernel.a_batched else i64(0)
        b_off = b.mul(index, i64(kernel.k * kernel.n)) if kernel.b_batched else i64(0)
        c_base = b.add(b.mul(index, i64(kernel.m * kernel.n)), b.add(b.mul(m_lo, i64(kernel.n)),
                                                                     n_lo))
        a_base = b.add(a_off, b.mul(m_lo, rs_a))
        b_base = b.add(b_off, b.mul(n_lo, cs_b))
        b.call(gemm.gemm, [b.gep(a, [a_base]), rs_a, cs_a, b.gep(bm, [b_base]), rs_b, cs_b,
                           b.gep(c, [c_base]), i64(kernel.n), b.sub(m_hi, m_lo),
                           b.sub(n_hi, n_lo), i64(kernel.k), ap, bp])
    if kernel.k == 0:  # an empty sum: C is zeros, which the blocked loops never write
        with for_range(b, ranges[0], ranges[1], "zb") as index:
            base = b.mul(index, i64(kernel.m * kernel.n))
            with for_range(b, m_lo, m_hi, "zi") as i:  # this task's block only
                row = b.add(base, b.mul(i, i64(kernel.n)))
                with for_range(b, n_lo, n_hi, "zj") as j:
                    b.store(ir.Constant(gemm.t, 0), b.gep(c, [b.add(row, j)]))
    if kernel.epilogue is not None:  # 2-D only: the batch range is [0, 1) or empty
        epilogue = _emit_epilogue(module, kernel)
        pointers = [slot_pointer(b, items, op.slot, op.dtype)
                    for op in kernel.epilogue.inputs if op is not None]
        live = b.icmp_signed("<", ranges[0], ranges[1])
        with b.if_then(live):
            b.call(epilogue, [c, *pointers, m_lo, m_hi, n_lo, n_hi])
    if heap:
        free = _libc(module)[1]
        b.call(free, [b.bitcast(ap, PTR)])
        b.call(free, [b.bitcast(bp, PTR)])
    b.ret_void()
    return task


def _emit_epilogue(module: ir.Module, kernel: MatmulKernel) -> ir.Function:
    """`epilogue(C, operands..., row_lo, row_hi, col_lo, col_hi)`: C = f(C, operands) in place."""
    epi = kernel.epilogue
    shape = (kernel.m, kernel.n)
    others = [op for op in epi.inputs if op is not None]
    types = [storage_type(kernel.dtype).as_pointer()] + [storage_type(op.dtype).as_pointer()
                                                        for op in others]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), types + [I64] * 4),
                     f"{kernel.name}.epilogue")
    fn.linkage = "internal"
    for arg in fn.args[:len(types)]:
        arg.add_attribute("noalias")  # the output slot is fresh: no operand shares it
    c, pointers = fn.args[0], list(fn.args[1:len(types)])
    row_lo, row_hi, col_lo, col_hi = fn.args[len(types):]
    strides = [broadcast_strides(shape, op.shape) for op in others]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    sb = IRScalarBuilder(b, kernel.dtype)
    with for_range(b, row_lo, row_hi, "ei") as i:
        with for_range(b, col_lo, col_hi, "ej") as j:
            here = b.add(b.mul(i, i64(kernel.n)), j)
            product = sb.wrap(b.load(b.gep(c, [here])), kernel.dtype)
            loaded, position = [], 0
            for op in epi.inputs:
                if op is None:
                    loaded.append(product)
                    continue
                rs, cs = strides[position]
                offset = b.add(b.mul(i, i64(rs)), b.mul(j, i64(cs)))
                value = b.load(b.gep(pointers[position], [offset]))
                if op.dtype.kind == "b":
                    value = b.icmp_unsigned("!=", value, ir.Constant(I8, 0))
                loaded.append(sb.wrap(value, op.dtype))
                position += 1
            values = emit_expression(b, list(epi.entries), loaded)
            b.store(values[len(epi.inputs) + epi.result].value, b.gep(c, [here]))
    b.ret_void()
    return fn


def _pack_buffers(b, module, gemm: _Gemm, kernel: MatmulKernel, task):
    """This task's packing buffers, sized for the kernel, allocated on its first call and kept.

    Small GEMMs run every step of a training loop: a heap block per call (and the page faults
    of a fresh one) cost more than their arithmetic. A plan is not reentrant anyway (its
    temporaries are shared), so one pair of buffers per kernel and task index is enough.
    """
    size = kernel.dtype.itemsize
    kc = max(1, min(KC, kernel.k))
    mc = min(MC, -(-max(kernel.m, 1) // gemm.mr) * gemm.mr)
    nc = min(NC, -(-max(kernel.n, 1) // gemm.nr) * gemm.nr) + gemm.nr
    counts = (_round(mc * kc * size) // size, _round(kc * nc * size) // size)
    table_ty = ir.ArrayType(PTR, 2 * MAX_THREADS)
    table = ir.GlobalVariable(module, table_ty, f"{kernel.name}.packs")
    table.initializer = ir.Constant(table_ty, None)
    table.linkage = "internal"
    alloc = _libc(module)[0]
    index = b.select(b.icmp_signed("<", task, i64(MAX_THREADS)), task, i64(0))
    buffers = []
    for which, count in enumerate(counts):
        where = b.gep(table, [ir.Constant(ir.IntType(32), 0),
                              b.add(b.mul(index, i64(2)), i64(which))])
        have = b.load(where)
        with b.if_then(b.icmp_unsigned("==", have, ir.Constant(PTR, None)), likely=False):
            b.store(b.call(alloc, [i64(64), i64(count * size)]), where)
        buffers.append(b.bitcast(b.load(where), gemm.p))
    return buffers[0], buffers[1], False


def _round(nbytes: int) -> int:
    return (nbytes + 63) // 64 * 64


def _share(b, total: int, task, ntasks, align: int = 1):
    """[lo, hi) of `total` for `task`, cut at multiples of `align` (the last takes the rest)."""
    chunks = (total + align - 1) // align
    lo = b.mul(b.sdiv(b.mul(i64(chunks), task), ntasks), i64(align))
    hi = b.mul(b.sdiv(b.mul(i64(chunks), b.add(task, i64(1))), ntasks), i64(align))
    lo = _min(b, lo, i64(total))
    hi = _min(b, hi, i64(total))
    return lo, hi
