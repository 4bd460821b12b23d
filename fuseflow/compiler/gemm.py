"""The shared GEMM of a module: a blocked, packed loop nest with a register-tiled FMA
micro-kernel, emitted in IR once per module and dtype and called by every matmul kernel.

Loops follow the Goto/BLIS structure: B panels of KC x NC are packed into NR-wide slivers
(whole-vector copies, or in-register transposes for a transposed B); A is read where it lies,
MR rows (or columns) at a time; the micro-kernel keeps an MR x NR tile of C in registers
(MR * NR / lanes vector accumulators) across the whole KC loop. A kernel's epilogue runs on
each tile right after its last K block, through a `tile` callback (TILE_TYPE).

The loop nest does not depend on the graph (shapes, strides and the callback are arguments),
so it lives in a library module per dtype, compiled once per machine and fuseflow version and
then loaded from the kernel cache like the thread pool; a graph's module only declares the
drivers it calls. The drivers were most of the LLVM time of compiling a training step.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.irtypes import I1, I64, PTR, const, storage_type
from fuseflow.compiler.lowering.loops import for_range, i64
from fuseflow.compiler.mathlib import call_intrinsic

KC = 256
MC = 120
NC = 1024
TILE_TYPE = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64, I64])


def tile_shape(dtype: np.dtype) -> tuple[int, int, int]:
    """(MR, NR, lanes) for the host: NR is two vectors; MR fills the register file."""
    codegen = get_codegen()
    lanes = codegen.lanes(np.dtype(dtype).itemsize)
    mr = 12 if codegen.vector_bits >= 512 else 6  # 32 vector registers vs 16
    return mr, 2 * lanes, lanes


class Gemm:
    """Emits the functions of one dtype's GEMM into the library module."""

    def __init__(self, module: ir.Module, dtype: np.dtype):
        self.m = module
        self.dtype = np.dtype(dtype)
        self.t = storage_type(self.dtype)
        self.p = self.t.as_pointer()
        self.mr, self.nr, self.lanes = tile_shape(self.dtype)
        self.vec = ir.VectorType(self.t, self.lanes)
        self.tag = f"gemm_{self.dtype.name}"
        self.micros: dict[str, ir.Function] = {}
        self.packs: dict[str, ir.Function] = {}
        self.drivers: dict[tuple[str, str], ir.Function] = {}

    def driver(self, unit_a: str, unit_b: str) -> ir.Function:
        """The blocked loops for operands whose unit stride runs along `unit_a` / `unit_b`."""
        key = (unit_a, unit_b)
        if key not in self.drivers:
            driver = self._gemm(unit_a, unit_b)
            driver.linkage = ""  # exported: graph modules call it by name
            self.drivers[key] = driver
        return self.drivers[key]


    def _function(self, name: str, args: list, ret=None) -> tuple[ir.Function, ir.IRBuilder]:
        fn = ir.Function(self.m, ir.FunctionType(ret or ir.VoidType(), args), f"{self.tag}.{name}")
        fn.linkage = "internal"
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    # -- packing: panel[s][k][r] = src[(s * R + r) * rs + k * cs], zero past `rows` -----------
    def _pack(self, unit: str) -> ir.Function:
        """B packing for a source whose unit stride runs along `unit`: "rows" (rs == 1, which
        the function then assumes) or "depth" (cs == 1); full slivers move whole vectors."""
        if unit in self.packs:
            return self.packs[unit]
        width = self.nr
        fn, b = self._function(f"pack_b_{unit}", [self.p, I64, I64, I64, I64, self.p])
        src, rs, cs, rows, depth, dst = fn.args
        dst.add_attribute("noalias")
        src.add_attribute("noalias")
        slivers = b.sdiv(b.add(rows, i64(width - 1)), i64(width))
        with for_range(b, 0, slivers, "s") as s:
            base = b.mul(s, i64(width))
            full = b.icmp_signed("<=", b.add(base, i64(width)), rows)
            out = b.gep(dst, [b.mul(s, b.mul(depth, i64(width)))])
            with b.if_else(full, likely=True) as (then, otherwise):
                with then:
                    if unit == "rows":
                        self._pack_rows(b, b.gep(src, [base]), cs, depth, out, width)
                    else:
                        self._pack_depth(b, b.gep(src, [b.mul(base, rs)]), rs, depth, out,
                                         width)
                with otherwise:
                    self._pack_sliver(b, src, rs, cs, base, depth, out, width, rows)
        b.ret_void()
        self.packs[unit] = fn
        return fn

    def _pack_rows(self, b, src, cs, depth, out, width):
        """A sliver whose R values of one k are adjacent: one vector copy per k."""
        vec = ir.VectorType(self.t, width).as_pointer()
        align = self.dtype.itemsize
        with for_range(b, 0, depth, "k") as k:
            value = b.load(b.bitcast(b.gep(src, [b.mul(k, cs)]), vec), align=align)
            b.store(value, b.bitcast(b.gep(out, [b.mul(k, i64(width))]), vec), align=align)

    def _pack_depth(self, b, src, rs, depth, out, width):
        """A sliver whose rows run along k: load `lanes` k of each row, transpose in registers."""
        lanes, align = self.lanes, self.dtype.itemsize
        vec = self.vec.as_pointer()
        whole = b.mul(b.sdiv(depth, i64(lanes)), i64(lanes))
        undef = ir.Constant(self.vec, None)
        with for_range(b, 0, whole, "kv", lanes) as k:
            for g in range(0, width, lanes):
                count = min(lanes, width - g)
                rows = [b.load(b.bitcast(b.gep(src, [b.add(b.mul(i64(g + r), rs), k)]), vec),
                               align=align) if r < count else undef for r in range(lanes)]
                for j, column in enumerate(_transpose(b, rows)):
                    if count < lanes:
                        column = b.shuffle_vector(column, undef, _mask(range(count)))
                    where = b.gep(out, [b.add(b.mul(b.add(k, i64(j)), i64(width)), i64(g))])
                    b.store(column, b.bitcast(where, column.type.as_pointer()), align=align)
        self._pack_sliver(b, src, rs, i64(1), i64(0), depth, out, width, None, start=whole)

    def _pack_sliver(self, b, src, rs, cs, base, depth, out, width, rows, start=0):
        with for_range(b, start, depth, "k") as k:
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
    def micro(self, layout: str) -> ir.Function:
        """The micro-kernel reading A laid out as `layout` (emitted on first use)."""
        if layout not in self.micros:
            self.micros[layout] = self._micro(layout)
        return self.micros[layout]

    def _micro(self, layout: str) -> ir.Function:
        """C[mr x nr tile] (+)= A[mr x kc] Bp[kc x NR]; `first` overwrites instead of adding.

        A is "packed" (Ap[k][MR]) or read where it lies: element (i, k) at `ap + i * lda + k`
        ("depth") or `ap + i + k * lda` ("rows"); rows past `mr` read row 0, never stored.
        """
        args = [I64, self.p, I64, self.p, self.p, I64, I1, I64, I64]
        fn, b = self._function(f"micro_{layout}", args)
        kc, ap, lda, bp, c, ldc, first, mr, nr = fn.args
        for arg in (ap, bp, c):
            arg.add_attribute("noalias")
        step = {"packed": i64(1), "depth": lda, "rows": i64(1)}[layout]
        rows = [b.gep(ap, [b.select(b.icmp_signed("<", i64(i), mr), b.mul(i64(i), step), i64(0))])
                for i in range(self.mr)]
        k_step = {"packed": i64(self.mr), "depth": i64(1), "rows": lda}[layout]
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
            a = b.load(b.gep(rows[i], [b.mul(k, k_step)]))
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
        """C tile (+)= the accumulators; C is only read when adding (not on the first k block)."""
        full = b.and_(b.icmp_signed("==", mr, i64(self.mr)), b.icmp_signed("==", nr, i64(self.nr)))
        with b.if_else(full, likely=True) as (then, otherwise):
            with then:
                for i, row in enumerate(tile):
                    for v, value in enumerate(row):
                        offset = b.add(b.mul(i64(i), ldc), i64(v * self.lanes))
                        self._accumulate(b, b.gep(c, [offset]), value, first)
            with otherwise:
                self._store_partial(b, tile, c, ldc, first, mr, nr)

    def _accumulate(self, b, ptr, value, first):
        """*ptr = value on the first k block, *ptr += value after it."""
        ptr = b.bitcast(ptr, value.type.as_pointer())
        align = self.dtype.itemsize
        with b.if_else(first) as (then, otherwise):
            with then:
                b.store(value, ptr, align=align)
            with otherwise:
                b.store(b.fadd(b.load(ptr, align=align), value), ptr, align=align)

    def _store_partial(self, b, tile, c, ldc, first, mr, nr):
        """An edge tile: whole vectors where they fit, element by element past them."""
        buf = b.alloca(self.t, size=self.mr * self.nr)
        for i, row in enumerate(tile):
            for v, value in enumerate(row):
                ptr = b.gep(buf, [i64(i * self.nr + v * self.lanes)])
                b.store(value, b.bitcast(ptr, self.vec.as_pointer()), align=1)
        for i, row in enumerate(tile):
            with b.if_then(b.icmp_signed("<", i64(i), mr)):
                for v, value in enumerate(row):
                    lo, hi = v * self.lanes, (v + 1) * self.lanes
                    dst = b.gep(c, [b.add(b.mul(i64(i), ldc), i64(lo))])
                    with b.if_else(b.icmp_signed("<=", i64(hi), nr)) as (whole, part):
                        with whole:
                            self._accumulate(b, dst, value, first)
                        with part:
                            self._store_tail(b, buf, i, lo, c, ldc, first, nr)

    def _store_tail(self, b, buf, i, lo, c, ldc, first, nr):
        with for_range(b, lo, smin(b, nr, i64(lo + self.lanes)), "tj") as j:
            src = b.load(b.gep(buf, [b.add(i64(i * self.nr), j)]))
            dst = b.gep(c, [b.add(b.mul(i64(i), ldc), j)])
            self._accumulate(b, dst, src, first)

    # -- the blocked loops -------------------------------------------------------------------
    def _gemm(self, unit_a: str, unit_b: str) -> ir.Function:
        """gemm(A, rs_a, cs_a, B, rs_b, cs_b, C, ldc, M, N, K, Bp, tile_fn, tile_ctx, row0, col0).

        A is read in place: the micro-kernel's broadcasts touch each element of an A block
        once per NR columns, from a few lines that stay in L1, so packing it costs more than
        it saves. Only B, loaded as whole vectors, is packed into NR-wide slivers. A non-null
        `tile_fn(tile_ctx, row_lo, row_hi, col_lo, col_hi)` finishes each tile after its last
        K block (coordinates offset by row0/col0).
        """
        name = driver_name(self.dtype, unit_a, unit_b).removeprefix(self.tag + ".")
        fn, b = self._function(name, list(driver_type(self.dtype).args))
        pack_b = self._pack(unit_b)
        a, rs_a, cs_a, bm, rs_b, cs_b, c, ldc, m, n, k, bp, *finish = fn.args
        lda = cs_a if unit_a == "rows" else rs_a
        with for_range(b, 0, n, "jc", NC) as jc:
            nc = smin(b, i64(NC), b.sub(n, jc))
            with for_range(b, 0, k, "pc", KC) as pc:
                kc = smin(b, i64(KC), b.sub(k, pc))
                first = b.icmp_signed("==", pc, i64(0))
                last = b.icmp_signed(">=", b.add(pc, kc), k)
                b_src = b.gep(bm, [b.add(b.mul(pc, rs_b), b.mul(jc, cs_b))])
                b.call(pack_b, [b_src, cs_b, rs_b, nc, kc, bp])
                with for_range(b, 0, m, "ic", MC) as ic:
                    mc = smin(b, i64(MC), b.sub(m, ic))
                    a_src = b.gep(a, [b.add(b.mul(ic, rs_a), b.mul(pc, cs_a))])
                    block = _Block(a_src, lda, unit_a, bp, c, ldc, ic, jc, mc, nc, kc, first)
                    self._tiles(b, block, b.and_(last, b.icmp_unsigned(
                        "!=", finish[0], ir.Constant(finish[0].type, None))), finish)
        b.ret_void()
        return fn

    def _tiles(self, b, blk: _Block, finishing, finish):
        micro = self.micro(blk.layout)
        with for_range(b, 0, blk.nc, "jr", self.nr) as jr:
            nr = smin(b, i64(self.nr), b.sub(blk.nc, jr))
            b_panel = b.gep(blk.bp, [b.mul(jr, blk.kc)])
            with for_range(b, 0, blk.mc, "ir", self.mr) as ir_:
                mr = smin(b, i64(self.mr), b.sub(blk.mc, ir_))
                a_panel = b.gep(blk.a, [ir_ if blk.layout == "rows" else b.mul(ir_, blk.lda)])
                row, col = b.add(blk.ic, ir_), b.add(blk.jc, jr)
                c_tile = b.gep(blk.c, [b.add(b.mul(row, blk.ldc), col)])
                b.call(micro, [blk.kc, a_panel, blk.lda, b_panel, c_tile, blk.ldc, blk.first,
                               mr, nr])
                with b.if_then(finishing, likely=False):
                    tile_fn, ctx, row0, col0 = finish
                    row, col = b.add(row, row0), b.add(col, col0)
                    b.call(tile_fn, [ctx, row, b.add(row, mr), col, b.add(col, nr)])


@dataclass(frozen=True)
class _Block:
    """One MC x NC block of C and the operands the micro-kernels read for it."""

    a: ir.Value
    lda: ir.Value
    layout: str
    bp: ir.Value
    c: ir.Value
    ldc: ir.Value
    ic: ir.Value
    jc: ir.Value
    mc: ir.Value
    nc: ir.Value
    kc: ir.Value
    first: ir.Value


def smin(b, x, y):
    """The smaller of two signed integers."""
    return b.select(b.icmp_signed("<", x, y), x, y)


def _mask(indices) -> ir.Constant:
    values = list(indices)
    return ir.Constant(ir.VectorType(ir.IntType(32), len(values)), values)


def _transpose(b, rows: list) -> list:
    """Transpose a square block held as one vector per row: log2(n) rounds of block swaps."""
    n = len(rows)
    rows = list(rows)
    half = n // 2
    while half:
        for i in range(n):
            if i & half:
                continue
            j = i + half
            low = [p if not p & half else n + p - half for p in range(n)]
            high = [p + half if not p & half else n + p for p in range(n)]
            rows[i], rows[j] = (b.shuffle_vector(rows[i], rows[j], _mask(low)),
                                b.shuffle_vector(rows[i], rows[j], _mask(high)))
        half //= 2
    return rows


UNITS = ("rows", "depth")  # where an operand's unit stride runs


def driver_type(dtype: np.dtype) -> ir.FunctionType:
    """gemm(A, rs_a, cs_a, B, rs_b, cs_b, C, ldc, M, N, K, Bp, tile_fn, tile_ctx, row0, col0)."""
    p = storage_type(np.dtype(dtype)).as_pointer()
    return ir.FunctionType(ir.VoidType(), [p, I64, I64, p, I64, I64, p, I64, I64, I64, I64, p,
                                           TILE_TYPE.as_pointer(), PTR, I64, I64])


def driver_name(dtype: np.dtype, unit_a: str, unit_b: str) -> str:
    """The exported symbol of one driver of the library."""
    return f"gemm_{np.dtype(dtype).name}.gemm.{unit_a}.pack_b_{unit_b}"


def build_library(codegen, dtype: np.dtype) -> str:
    """IR text of the GEMM library for `dtype`: every driver, exported."""
    module = codegen.new_module(f"fuseflow_gemm_{np.dtype(dtype).name}")
    gemm = Gemm(module, dtype)
    for unit_a in UNITS:
        for unit_b in UNITS:
            gemm.driver(unit_a, unit_b)
    return str(module)


_libraries: dict[str, object] = {}
_library_lock = threading.Lock()


def load_library(codegen, dtype: np.dtype) -> None:
    """Make the drivers for `dtype` callable from modules the JIT loads (once per process)."""
    from fuseflow.compiler import cache  # cache builds on codegen, as this module does

    name = np.dtype(dtype).name
    with _library_lock:
        if name in _libraries:
            return
        jit = cache.load_or_compile_lazy(codegen, f"fuseflow_gemm_{name}",
                                         lambda: build_library(codegen, dtype),
                                         name=f"fuseflow_gemm_{name}")
        for unit_a in UNITS:
            for unit_b in UNITS:
                symbol = driver_name(dtype, unit_a, unit_b)
                llvm.add_symbol(symbol, jit.address(symbol))
        _libraries[name] = jit


def load_libraries_for(codegen, ir_text: str) -> None:
    """Load the library of every dtype whose drivers `ir_text` declares."""
    for dtype in (np.float32, np.float64):
        if f'declare void @"gemm_{np.dtype(dtype).name}.' in ir_text:
            load_library(codegen, dtype)


class Declarations:
    """What a graph module sees of the library: driver declarations and the tile geometry."""

    def __init__(self, module: ir.Module, dtype: np.dtype):
        # No loading here: IR is built under the cache's lock, which loading takes too. Who
        # links a module loads the libraries first (`load_library`, `load_libraries_for`).
        self.m, self.dtype = module, np.dtype(dtype)
        self.t = storage_type(self.dtype)
        self.p = self.t.as_pointer()
        self.mr, self.nr, self.lanes = tile_shape(self.dtype)

    def driver(self, unit_a: str, unit_b: str) -> ir.Function:
        """The declaration of the driver for these unit strides."""
        name = driver_name(self.dtype, unit_a, unit_b)
        known = self.m.globals.get(name)
        return known if known is not None else ir.Function(self.m, driver_type(self.dtype), name)


def gemm_for(module: ir.Module, dtype: np.dtype) -> Declarations:
    """The library's GEMM for `dtype`, as `module` calls it."""
    return Declarations(module, dtype)
