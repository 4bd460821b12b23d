"""matmul kernels: C[M, N] = A[M, K] @ B[K, N] for float32/float64, any transposes, batches
(an operand's batch is either the full batch or broadcast), split between the pool's threads.

Each kernel is a pool task that takes its share of the batch, of N or of M and calls the
module's shared GEMM (compiler/gemm.py). An epilogue (bias add, activation, any single-consumer
elementwise expression of a 2-D product) is applied to each tile right after its last K
block, while the tile is in L1, so the product never makes a round trip through memory and
no second kernel is launched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.gemm import KC, NC, TILE_TYPE, Declarations, gemm_for, smin, tile_shape
from fuseflow.compiler.irtypes import I8, I64, PTR, storage_type
from fuseflow.compiler.lowering.elementwise import broadcast_strides, emit_expression
from fuseflow.compiler.lowering.loops import for_range, i64, slot_pointer
from fuseflow.compiler.scalar_ir import IRScalarBuilder
from fuseflow.compiler.threadpool import MAX_THREADS, TASK_TYPE

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


def _libc(module: ir.Module) -> ir.Function:
    return module.globals.get("aligned_alloc") or ir.Function(
        module, ir.FunctionType(PTR, [I64, I64]), "aligned_alloc")


def emit_matmul(kernel: MatmulKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: each task takes a share of the batch, or of N or M."""
    gemm = gemm_for(module, kernel.dtype)
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
    bp = _pack_buffer(b, module, gemm, kernel, t)
    tile_fn = _emit_tile_epilogue(module, kernel)
    rs_a, cs_a = (i64(1), i64(kernel.m)) if kernel.transpose_a else (i64(kernel.k), i64(1))
    rs_b, cs_b = (i64(1), i64(kernel.k)) if kernel.transpose_b else (i64(kernel.n), i64(1))
    # A's unit stride runs along m when transposed; B's along n unless transposed.
    driver = gemm.driver("rows" if kernel.transpose_a else "depth",
                         "depth" if kernel.transpose_b else "rows")
    with for_range(b, ranges[0], ranges[1], "batch") as index:
        a_off = b.mul(index, i64(kernel.m * kernel.k)) if kernel.a_batched else i64(0)
        b_off = b.mul(index, i64(kernel.k * kernel.n)) if kernel.b_batched else i64(0)
        c_base = b.add(b.mul(index, i64(kernel.m * kernel.n)), b.add(b.mul(m_lo, i64(kernel.n)),
                                                                     n_lo))
        a_base = b.add(a_off, b.mul(m_lo, rs_a))
        b_base = b.add(b_off, b.mul(n_lo, cs_b))
        b.call(driver, [b.gep(a, [a_base]), rs_a, cs_a, b.gep(bm, [b_base]), rs_b, cs_b,
                        b.gep(c, [c_base]), i64(kernel.n), b.sub(m_hi, m_lo),
                        b.sub(n_hi, n_lo), i64(kernel.k), bp, tile_fn, task.args[0], m_lo, n_lo])
    if kernel.k == 0:  # an empty sum: C is zeros, which the blocked loops never write
        with for_range(b, ranges[0], ranges[1], "zb") as index:
            base = b.mul(index, i64(kernel.m * kernel.n))
            with for_range(b, m_lo, m_hi, "zi") as i:  # this task's block only
                row = b.add(base, b.mul(i, i64(kernel.n)))
                with for_range(b, n_lo, n_hi, "zj") as j:
                    b.store(ir.Constant(gemm.t, 0), b.gep(c, [b.add(row, j)]))
    if kernel.epilogue is not None and kernel.k == 0:  # no K block ever finishes a tile
        live = b.icmp_signed("<", ranges[0], ranges[1])  # 2-D only: [0, 1) or empty
        with b.if_then(live):
            b.call(tile_fn, [task.args[0], m_lo, m_hi, n_lo, n_hi])
    b.ret_void()
    return task


def _emit_tile_epilogue(module: ir.Module, kernel: MatmulKernel) -> ir.Constant | ir.Function:
    """`tile(items, row_lo, row_hi, col_lo, col_hi)` applying the epilogue (null without one)."""
    if kernel.epilogue is None:
        return ir.Constant(TILE_TYPE.as_pointer(), None)
    epilogue = _emit_epilogue(module, kernel)
    fn = ir.Function(module, TILE_TYPE, f"{kernel.name}.tile")
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    items = b.bitcast(fn.args[0], PTR.as_pointer())
    pointers = [slot_pointer(b, items, op.slot, op.dtype)
                for op in (kernel.out, *kernel.epilogue.inputs) if op is not None]
    b.call(epilogue, [*pointers, *fn.args[1:]])
    b.ret_void()
    return fn


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


def _pack_buffer(b, module, gemm: Declarations, kernel: MatmulKernel, task):
    """This task's B packing buffer, sized for the kernel, allocated on its first call and kept.

    Small GEMMs run every step of a training loop: a heap block per call (and the page faults
    of a fresh one) cost more than their arithmetic. A plan is not reentrant anyway (its
    temporaries are shared), so one buffer per kernel and task index is enough.
    """
    size = kernel.dtype.itemsize
    kc = max(1, min(KC, kernel.k))
    nc = min(NC, -(-max(kernel.n, 1) // gemm.nr) * gemm.nr) + gemm.nr
    table_ty = ir.ArrayType(PTR, MAX_THREADS)
    table = ir.GlobalVariable(module, table_ty, f"{kernel.name}.packs")
    table.initializer = ir.Constant(table_ty, None)
    table.linkage = "internal"
    index = b.select(b.icmp_signed("<", task, i64(MAX_THREADS)), task, i64(0))
    where = b.gep(table, [ir.Constant(ir.IntType(32), 0), index])
    with b.if_then(b.icmp_unsigned("==", b.load(where), ir.Constant(PTR, None)), likely=False):
        alloc = _libc(module)
        b.store(b.call(alloc, [i64(64), i64(_round(kc * nc * size))]), where)
    return b.bitcast(b.load(where), gemm.p)


def _round(nbytes: int) -> int:
    return (nbytes + 63) // 64 * 64


def _share(b, total: int, task, ntasks, align: int = 1):
    """[lo, hi) of `total` for `task`, cut at multiples of `align` (the last takes the rest)."""
    chunks = (total + align - 1) // align
    lo = b.mul(b.sdiv(b.mul(i64(chunks), task), ntasks), i64(align))
    hi = b.mul(b.sdiv(b.mul(i64(chunks), b.add(task, i64(1))), ntasks), i64(align))
    lo = smin(b, lo, i64(total))
    hi = smin(b, hi, i64(total))
    return lo, hi
