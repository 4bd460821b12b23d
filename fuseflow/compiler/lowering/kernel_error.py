"""How a native kernel reports bad data (an index out of range) without crashing.

The kernel stores its `code` (a number unique in its plan) in the module's error word and skips
the bad element; the segment entry returns -code (module.py); the runner finds the kernel with
that code and calls its `reraise(objs)`, which runs the op's NumPy implementation on the same
inputs so the error reads exactly as it does eagerly.
"""

from __future__ import annotations

from typing import NoReturn

import numpy as np
from llvmlite import ir

from fuseflow.compiler.irtypes import I32
from fuseflow.core.context import describe_inputs, op_error
from fuseflow.core.errors import InvalidArgumentError, user_source
from fuseflow.core.registry import REGISTRY
from fuseflow.core.tensor import wrap

ERROR_WORD = "ff_kernel_error"


def error_word(module: ir.Module) -> ir.GlobalVariable:
    """The module's error word (0: no error), created on first use."""
    if ERROR_WORD in module.globals:
        return module.globals[ERROR_WORD]
    word = ir.GlobalVariable(module, I32, ERROR_WORD)
    word.initializer = ir.Constant(I32, 0)
    word.linkage = "internal"
    return word


def flag_error(b: ir.IRBuilder, code: int) -> None:
    """Store `code` in the error word of the module `b` is emitting into."""
    b.store(ir.Constant(I32, code), error_word(b.module))


def index_is_bad(b: ir.IRBuilder, index: ir.Value, limit: int, signed: bool = True):
    """`index` widened to i64, and whether it lies outside [0, limit) (one unsigned compare)."""
    if index.type.width < 64:
        index = b.sext(index, ir.IntType(64)) if signed else b.zext(index, ir.IntType(64))
    return index, b.icmp_unsigned(">=", index, ir.Constant(ir.IntType(64), limit))


def raise_op_error(op: str, arrays: list[np.ndarray], attrs: dict, message: str) -> NoReturn:
    """Raise the error `op`'s NumPy implementation raises on `arrays`, worded as eager words it.

    `message` is the error when NumPy accepts the inputs (say, an index it would wrap around).
    """
    opdef = REGISTRY[op]
    tensors = [wrap(a) for a in arrays]
    try:
        opdef.impl(*arrays, **attrs)
    except Exception as cause:  # noqa: BLE001 -- any impl failure becomes the op's error
        error = op_error(opdef, tensors, attrs, cause)
        raise type(error)(error.op, error.message, error.inputs, user_source()) from None
    raise InvalidArgumentError(op, message, describe_inputs(tensors), user_source())
