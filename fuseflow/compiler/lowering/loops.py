"""Loop helpers for kernel IR: counted loops as context managers, buffer access."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import I64, PTR, storage_type
from fuseflow.compiler.threadpool import TASK_TYPE

ARRAY_DATA_OFFSET = 16  # PyArrayObject.data: after ob_refcnt and ob_type (checked at import)


def i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


@contextlib.contextmanager
def for_range(b: ir.IRBuilder, start, stop, name: str = "i", step: int = 1):
    """`for i in range(start, stop, step)`; yields the index. The body must not branch out."""
    start = i64(start) if isinstance(start, int) else start
    stop = i64(stop) if isinstance(stop, int) else stop
    fn = b.function
    pre = b.block
    body = fn.append_basic_block(f"{name}.body")
    after = fn.append_basic_block(f"{name}.end")
    b.cbranch(b.icmp_signed("<", start, stop), body, after)
    b.position_at_end(body)
    index = b.phi(I64, name=name)
    index.add_incoming(start, pre)
    yield index
    following = b.add(index, i64(step), name=f"{name}.next")
    index.add_incoming(following, b.block)
    b.cbranch(b.icmp_signed("<", following, stop), body, after)
    b.position_at_end(after)


def slot_pointer(b: ir.IRBuilder, items: ir.Value, slot: int, dtype: np.dtype) -> ir.Value:
    """The data pointer of ndarray `items[slot]` (items: the plan's PyObject* array)."""
    obj = b.load(b.gep(items, [i64(slot)]), name=f"obj{slot}")
    field = b.gep(obj, [i64(ARRAY_DATA_OFFSET)])
    data = b.load(b.bitcast(field, PTR.as_pointer()), name=f"data{slot}")
    return b.bitcast(data, storage_type(dtype).as_pointer())


def task_range(b: ir.IRBuilder, total: int, task, ntasks, align: int = 1):
    """[lo, hi) of `total` iterations for task `task` of `ntasks`, cut at multiples of `align`."""
    chunks = (total + align - 1) // align
    lo = b.mul(b.sdiv(b.mul(i64(chunks), task), ntasks), i64(align))
    hi = b.mul(b.sdiv(b.mul(i64(chunks), b.add(task, i64(1))), ntasks), i64(align))
    hi = b.select(b.icmp_signed(">", hi, i64(total)), i64(total), hi)
    lo = b.select(b.icmp_signed(">", lo, i64(total)), i64(total), lo)
    return lo, hi


def emit_split_task(module: ir.Module, name: str, operands: list, total: int,
                    emit_body: Callable, noalias: bool = True) -> ir.Function:
    """A pool task that splits `total` outer iterations (rows, images) across the tasks.

    The work lives in an internal function `<name>.body(buffers..., lo, hi)`, emitted by
    `emit_body(b, buffers, lo, hi)` with `b` in its entry block (so allocas become registers)
    and `buffers` the operands' typed data pointers (None for a None operand). The task loads
    the buffers from the plan's slots, takes its share [lo, hi) and calls the body.
    """
    present = [op for op in operands if op is not None]
    types = [storage_type(op.dtype).as_pointer() for op in present]
    body = ir.Function(module, ir.FunctionType(ir.VoidType(), [*types, I64, I64]),
                       f"{name}.body")
    body.linkage = "internal"
    if noalias:
        for arg in body.args[:len(present)]:
            arg.add_attribute("noalias")
    b = ir.IRBuilder(body.append_basic_block("entry"))
    args = iter(body.args[:len(present)])
    emit_body(b, [None if op is None else next(args) for op in operands], *body.args[-2:])
    b.ret_void()
    task = ir.Function(module, TASK_TYPE, name)
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block("entry"))
    items = b.bitcast(task.args[0], PTR.as_pointer())
    buffers = [slot_pointer(b, items, op.slot, op.dtype) for op in present]
    lo, hi = task_range(b, total, task.args[1], task.args[2])
    b.call(body, [*buffers, lo, hi])
    b.ret_void()
    return task
