"""Elementwise comparisons, logic, NaN tests and `where`: bool results, no gradient except
through `where`'s selected values."""

from __future__ import annotations

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import (
    BOOLS,
    FLOATS,
    NUMBERS,
    binary_operands,
    binary_spec,
    broadcast_shapes,
    check_dtype,
    elementwise_spec,
    unbroadcast,
)
from fuseflow.core.ops.elementwise import _binary, _unary, zeros_like
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

EQUATABLE = NUMBERS | BOOLS | {"string"}


def _comparison(name: str, impl, method: str, allowed: frozenset[str] = NUMBERS) -> None:
    define_op(name, kind=OpKind.ELEMENTWISE, impl=impl,
              infer=binary_spec(name, allowed, out=dtypes.bool_),
              commutative=name in ("equal", "not_equal"),
              lower=lambda b, x, y: getattr(b, method)(x, y))


_comparison("equal", np.equal, "eq", EQUATABLE)
_comparison("not_equal", np.not_equal, "ne", EQUATABLE)
_comparison("less", np.less, "lt")
_comparison("less_equal", np.less_equal, "le")
_comparison("greater", np.greater, "gt")
_comparison("greater_equal", np.greater_equal, "ge")


@export("math.equal", "equal")
def equal(x, y, name=None) -> Tensor:
    """x == y elementwise with broadcasting, as bool."""
    return _binary("equal", x, y, name)


@export("math.not_equal", "not_equal")
def not_equal(x, y, name=None) -> Tensor:
    """x != y elementwise with broadcasting, as bool."""
    return _binary("not_equal", x, y, name)


@export("math.less", "less")
def less(x, y, name=None) -> Tensor:
    """x < y elementwise with broadcasting, as bool."""
    return _binary("less", x, y, name)


@export("math.less_equal", "less_equal")
def less_equal(x, y, name=None) -> Tensor:
    """x <= y elementwise with broadcasting, as bool."""
    return _binary("less_equal", x, y, name)


@export("math.greater", "greater")
def greater(x, y, name=None) -> Tensor:
    """x > y elementwise with broadcasting, as bool."""
    return _binary("greater", x, y, name)


@export("math.greater_equal", "greater_equal")
def greater_equal(x, y, name=None) -> Tensor:
    """x >= y elementwise with broadcasting, as bool."""
    return _binary("greater_equal", x, y, name)


# -- logic ------------------------------------------------------------------------------------

def _logical(name: str, impl, lower) -> None:
    define_op(name, kind=OpKind.ELEMENTWISE, infer=binary_spec(name, BOOLS), impl=impl,
              commutative=True, lower=lower)


_logical("logical_and", np.logical_and, lambda b, x, y: b.logical_and(x, y))
_logical("logical_or", np.logical_or, lambda b, x, y: b.logical_or(x, y))
_logical("logical_xor", np.logical_xor, lambda b, x, y: b.ne(x, y))


@export("math.logical_and", "logical_and")
def logical_and(x, y, name=None) -> Tensor:
    """x AND y on bool tensors, with broadcasting."""
    return _binary("logical_and", x, y, name)


@export("math.logical_or", "logical_or")
def logical_or(x, y, name=None) -> Tensor:
    """x OR y on bool tensors, with broadcasting."""
    return _binary("logical_or", x, y, name)


@export("math.logical_xor")
def logical_xor(x, y, name=None) -> Tensor:
    """x XOR y on bool tensors, with broadcasting."""
    return _binary("logical_xor", x, y, name)


define_op("logical_not", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("logical_not", BOOLS),
          impl=np.logical_not, lower=lambda b, x: b.logical_not(x))


@export("math.logical_not", "logical_not")
def logical_not(x, name=None) -> Tensor:
    """NOT x on a bool tensor."""
    return _unary("logical_not", x, name)


define_op("is_nan", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("is_nan", FLOATS,
                                                                    dtypes.bool_),
          impl=np.isnan, lower=lambda b, x: b.is_nan(x))


@export("math.is_nan", "debugging.is_nan")
def is_nan(x, name=None) -> Tensor:
    """True where `x` is NaN."""
    return _unary("is_nan", x, name)


define_op("is_finite", kind=OpKind.ELEMENTWISE,
          infer=elementwise_spec("is_finite", FLOATS, dtypes.bool_),
          impl=np.isfinite, lower=lambda b, x: b.is_finite(x))


@export("math.is_finite", "debugging.is_finite")
def is_finite(x, name=None) -> Tensor:
    """True where `x` is neither infinite nor NaN."""
    return _unary("is_finite", x, name)


# -- where ------------------------------------------------------------------------------------

def _select_infer(cond: TensorSpec, x: TensorSpec, y: TensorSpec) -> TensorSpec:
    check_dtype("where", cond, BOOLS, "condition")
    if x.dtype != y.dtype:
        raise InvalidArgumentError("where", f"`x` and `y` have different dtypes: {x.dtype.name} "
                                   f"vs {y.dtype.name}")
    shape = broadcast_shapes("where", broadcast_shapes("where", cond.shape, x.shape), y.shape)
    return TensorSpec(shape, x.dtype)


def _select_grad(g, z, cond, x, y):
    zeros = zeros_like(g)
    return None, unbroadcast(select(cond, g, zeros), x), unbroadcast(select(cond, zeros, g), y)


# The three-operand form of `where` (TF's SelectV2).
define_op("select", kind=OpKind.ELEMENTWISE, infer=_select_infer, impl=np.where,
          grad=_select_grad, lower=lambda b, cond, x, y: b.select(cond, x, y))


def select(condition, x, y, name=None) -> Tensor:
    """`x` where `condition` is true, else `y`, all three broadcast together."""
    x, y = binary_operands(x, y, "where")
    return bind("select", convert_to_tensor(condition), x, y, name=name)


def _where_infer(cond: TensorSpec) -> TensorSpec:
    check_dtype("where", cond, BOOLS | NUMBERS, "condition")
    return TensorSpec((None, cond.rank), dtypes.int64)


# The one-operand form: coordinates of the true (non-zero) elements; the count is data-dependent.
define_op("where", kind=OpKind.OPAQUE, infer=_where_infer,
          impl=lambda cond: np.argwhere(cond).astype(np.int64))


@export("where")
def where(condition, x=None, y=None, name=None) -> Tensor:
    """Select from `x` or `y` by `condition`; with neither, the indices of true elements.

    With `x` and `y`, all three broadcast together. With neither, the result is an int64
    tensor of shape [num_true, rank(condition)], like `tf.where(condition)`.
    """
    if x is None and y is None:
        return bind("where", convert_to_tensor(condition), name=name)
    if x is None or y is None:
        raise ValueError("where: x and y must both be given, or both be None")
    return select(condition, x, y, name=name)
