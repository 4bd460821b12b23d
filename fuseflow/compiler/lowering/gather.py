"""one_hot, gather and gather_grad (gather's scatter-add adjoint) as native kernels.

one_hot writes out[o, d, n] = on if indices[o, n] == d else off, where `o` runs over the index
dims before `axis` and `n` over those after it; an out-of-range index gives an all-off row, as
the NumPy op (and TF) do, so no error path is needed.

gather sees params as [batch, mid, dim, inner] and indices as [batch, count] (batch: the
batch_dims, mid: the dims between them and `axis`): output row r = ((b * mid + m) * count + j)
is params row ((b * mid + m) * dim + indices[b, j]), `inner` contiguous elements copied by a
loop that vectorizes. An index outside [0, dim) is never followed: the kernel flags its error
(kernel_error.py) and the runner raises the op's own InvalidArgumentError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import PTR, storage_type
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.lowering.kernel_error import flag_error, index_is_bad, raise_op_error
from fuseflow.compiler.lowering.loops import emit_split_task, for_range, i64, slot_pointer
from fuseflow.compiler.scalar_ir import IRScalarBuilder
from fuseflow.compiler.threadpool import TASK_TYPE

PARALLEL_MIN_ELEMENTS = 1 << 15


@dataclass
class OneHotKernel:
    """out [outer, depth, inner] from indices [outer, inner]."""

    name: str
    indices: Operand
    out: Operand
    outer: int
    depth: int
    inner: int
    on: object
    off: object

    parallel = False

    def read_slots(self) -> list[int]:
        return [self.indices.slot]

    def written_slots(self) -> list[int]:
        return [self.out.slot]


def _constant(ty: ir.Type, value) -> ir.Constant:
    return ir.Constant(ty, int(value) if isinstance(ty, ir.IntType) else float(value))


def emit_one_hot(kernel: OneHotKernel, module: ir.Module) -> ir.Function:
    """The kernel as a single-task pool function."""
    task = ir.Function(module, TASK_TYPE, kernel.name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    idx = slot_pointer(b, items, kernel.indices.slot, kernel.indices.dtype)
    out = slot_pointer(b, items, kernel.out.slot, kernel.out.dtype)
    ty = storage_type(kernel.out.dtype)
    on, off = _constant(ty, kernel.on), _constant(ty, kernel.off)
    with for_range(b, 0, kernel.outer, "o") as o:
        with for_range(b, 0, kernel.depth, "d") as d:
            row = b.mul(b.add(b.mul(o, i64(kernel.depth)), d), i64(kernel.inner))
            with for_range(b, 0, kernel.inner, "n") as n:
                value = b.load(b.gep(idx, [b.add(b.mul(o, i64(kernel.inner)), n)]))
                wide = b.sext(value, d.type) if value.type.width < 64 else value
                hit = b.icmp_signed("==", wide, d)
                b.store(b.select(hit, on, off), b.gep(out, [b.add(row, n)]))
    b.ret_void()
    return task


def plan_one_hot(builder, node: int) -> bool:
    """Plan one_hot natively for signed integer indices."""
    graph = builder.graph
    indices = builder._operand(*graph.input_edges(node)[0])
    attrs = graph.attrs(node)
    if indices.dtype.kind != "i":
        return False
    spec = builder.specs[node]
    axis = attrs["axis"]
    outer = int(np.prod(indices.shape[:axis], dtype=np.int64))
    inner = int(np.prod(indices.shape[axis:], dtype=np.int64))
    out = Operand(builder._result_slot(node), tuple(spec.shape), spec.dtype.np_dtype)
    kernel = OneHotKernel(builder._kernel_name("one_hot"), indices, out, outer, attrs["depth"],
                          inner, attrs["on_value"], attrs["off_value"])
    builder._add_kernel(kernel, [node])
    return True


# -- gather and gather_grad ---------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """gather's shapes as [batch, mid, dim, inner] params and [batch, count] indices."""

    batch: int
    mid: int
    dim: int
    count: int
    inner: int

    @property
    def rows(self) -> int:
        return self.batch * self.mid * self.count

    @staticmethod
    def of(params_shape: tuple, indices_shape: tuple, axis: int, batch_dims: int) -> Layout:
        return Layout(_size(params_shape[:batch_dims]), _size(params_shape[batch_dims:axis]),
                      params_shape[axis], _size(indices_shape[batch_dims:]),
                      _size(params_shape[axis + 1:]))


def _size(dims: tuple) -> int:
    return int(np.prod(dims, dtype=np.int64))


@dataclass
class GatherKernel:
    """gather (out = params rows at indices) or, given `like`, gather_grad (out = zeros shaped
    like `like`, then the rows of g, held in `params`, added at indices)."""

    name: str
    params: Operand
    indices: Operand
    out: Operand
    layout: Layout
    axis: int
    batch_dims: int
    code: int  # what the error word holds after a bad index (unique in the plan)
    like: Operand | None = None

    may_fail = True

    @property
    def parallel(self) -> bool:
        # gather_grad stays on one thread: repeated indices add into the same row
        rows = self.layout.rows
        return self.like is None and rows > 1 and rows * self.layout.inner >= PARALLEL_MIN_ELEMENTS

    def read_slots(self) -> list[int]:
        return [self.params.slot, self.indices.slot]

    def written_slots(self) -> list[int]:
        return [self.out.slot]

    def reraise(self, objs: list) -> None:
        """Raise the op's error for the indices the kernel rejected."""
        arrays = [objs[op.slot].reshape(op.shape) for op in (self.params, self.indices)]
        op = "gather"
        if self.like is not None:  # only its shape matters
            op = "gather_grad"
            arrays.append(np.broadcast_to(np.zeros((), self.like.dtype), self.like.shape))
        indices, dim = arrays[1], self.layout.dim
        outside = indices[(indices < 0) | (indices >= dim)].reshape(-1)
        value = outside[0] if outside.size else "a value"
        raise_op_error(op, arrays, {"axis": self.axis, "batch_dims": self.batch_dims},
                       f"indices contain {value}, which is not in [0, {dim})")


def _row_position(b: ir.IRBuilder, lay: Layout, r) -> tuple:
    """(b * mid + m, j, b) of output row r = (b * mid + m) * count + j."""
    if lay.batch * lay.mid == 1:  # the usual embedding lookup: no divisions per row
        return i64(0), r, i64(0)
    # max(.., 1): with no rows the loop never runs, but a division by 0 would still be UB
    group = b.udiv(r, i64(max(lay.count, 1)))
    j = b.sub(r, b.mul(group, i64(lay.count)))
    return group, j, b.udiv(group, i64(max(lay.mid, 1)))


def _gather_rows(b: ir.IRBuilder, k: GatherKernel, params, indices, out, lo, hi) -> None:
    lay = k.layout
    signed = k.indices.dtype.kind == "i"
    sb = IRScalarBuilder(b, k.out.dtype)
    with for_range(b, lo, hi, "row") as r:
        group, j, batch = _row_position(b, lay, r)
        index = b.load(b.gep(indices, [b.add(b.mul(batch, i64(lay.count)), j)]))
        index, bad = index_is_bad(b, index, lay.dim, signed)
        with b.if_else(bad) as (then, otherwise):
            with then:
                flag_error(b, k.code)
            with otherwise:
                far = b.mul(b.add(b.mul(group, i64(lay.dim)), index), i64(lay.inner))
                near = b.mul(r, i64(lay.inner))
                src, dst = (near, far) if k.like is not None else (far, near)
                with for_range(b, 0, lay.inner, "e") as e:
                    value = b.load(b.gep(params, [b.add(src, e)]))
                    target = b.gep(out, [b.add(dst, e)])
                    if k.like is not None:
                        value = (sb.wrap(b.load(target), k.out.dtype)
                                 + sb.wrap(value, k.out.dtype)).value
                    b.store(value, target)


def emit_gather(kernel: GatherKernel, module: ir.Module) -> ir.Function:
    """The kernel as a pool task: gather's tasks split the output rows."""
    lay = kernel.layout

    def rows(b, buffers, lo, hi):
        params, indices, out = buffers
        if kernel.like is not None:  # the scatter adds into a cleared output
            zero = IRScalarBuilder(b, kernel.out.dtype).const(0.0).value
            with for_range(b, 0, lay.batch * lay.mid * lay.dim * lay.inner, "z") as z:
                b.store(zero, b.gep(out, [z]))
        _gather_rows(b, kernel, params, indices, out, lo, hi)

    operands = [kernel.params, kernel.indices, kernel.out]
    return emit_split_task(module, kernel.name, operands, lay.rows, rows)


def plan_gather(builder, node: int) -> bool:
    """Plan gather natively: any native params dtype, signed or unsigned integer indices."""
    return _plan(builder, node, scatter=False)


def plan_gather_grad(builder, node: int) -> bool:
    """Plan gather_grad natively for numeric (not bool) g."""
    return _plan(builder, node, scatter=True)


def _plan(builder, node: int, scatter: bool) -> bool:
    graph = builder.graph
    ins = [builder._operand(p, i) for p, i in graph.input_edges(node)]
    source, indices = ins[0], ins[1]
    like = ins[2] if scatter else None
    attrs = graph.attrs(node)
    axis, batch_dims = attrs["axis"], attrs["batch_dims"]
    if indices.dtype.kind not in "iu" or (scatter and source.dtype.kind not in "iuf"):
        return False
    params_shape = like.shape if scatter else source.shape
    layout = Layout.of(tuple(params_shape), tuple(indices.shape), axis, batch_dims)
    if layout.batch * layout.mid == 0 and _size(indices.shape):
        return False  # no rows to copy, yet NumPy still checks every index: let it
    spec = builder.specs[node]
    out = Operand(builder._result_slot(node), tuple(spec.shape), spec.dtype.np_dtype)
    code = len(builder.plan.steps) + 1
    name = builder._kernel_name("gather_grad" if scatter else "gather")
    kernel = GatherKernel(name, source, indices, out, layout, axis, batch_dims, code, like)
    builder._add_kernel(kernel, [node])
    return True

