"""Broadcasting binary math beyond the four basic operations: floordiv, floormod, pow, maximum,
minimum, squared_difference, divide_no_nan, scalar_mul, add_n and clip_by_value."""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import FLOATS, binary_spec, operand_like, quiet, unbroadcast
from fuseflow.core.ops.comparison import greater, greater_equal, less_equal, select
from fuseflow.core.ops.elementwise import (
    _binary,
    log,
    multiply,
    negative,
    ones_like,
    subtract,
    zeros_like,
)
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def _integer_division(op: str, fn):
    """`fn(x, y)`, refusing integer division by zero (NumPy would quietly give 0)."""

    def impl(x, y):
        if x.dtype.kind in "iu" and not np.all(y):
            raise InvalidArgumentError(op, "Integer division by zero")
        return fn(x, y)

    return impl


# floor(x / y) on floats, Python's // on integers; the result has the operands' dtype.
define_op("floordiv", kind=OpKind.ELEMENTWISE, infer=binary_spec("floordiv"),
          impl=_integer_division("floordiv", np.floor_divide),
          lower=lambda b, x, y: b.floordiv(x, y))


@export("math.floordiv", "math.floor_div", "floor_div")
def floordiv(x, y, name=None) -> Tensor:
    """x // y with broadcasting, rounding toward negative infinity."""
    return _binary("floordiv", x, y, name)


define_op("floormod", kind=OpKind.ELEMENTWISE, infer=binary_spec("floormod"),
          impl=_integer_division("floormod", np.mod),
          grad=lambda g, z, x, y: (unbroadcast(g, x),
                                   unbroadcast(multiply(negative(g), floordiv(x, y)), y)),
          lower=lambda b, x, y: b.floormod(x, y))


@export("math.floormod", "math.mod", "mod")
def floormod(x, y, name=None) -> Tensor:
    """x % y with broadcasting; the result takes the sign of `y`, as Python's %."""
    return _binary("floormod", x, y, name)


def _pow_grad(g, z, x, y):
    gx = multiply(g, multiply(y, pow(x, subtract(y, 1))))
    # d/dy x^y = x^y log(x), taken as 0 where x <= 0 so the gradient is never NaN (as TF).
    positive = greater(x, 0)
    log_x = select(positive, log(select(positive, x, ones_like(x))), zeros_like(x))
    return unbroadcast(gx, x), unbroadcast(multiply(g, multiply(z, log_x)), y)


define_op("pow", kind=OpKind.ELEMENTWISE, infer=binary_spec("pow"), impl=quiet(np.power),
          grad=_pow_grad, lower=lambda b, x, y: b.pow(x, y))


@export("math.pow", "pow")
def pow(x, y, name=None) -> Tensor:
    """x ** y with broadcasting (integers to negative powers are an error, as TF)."""
    return _binary("pow", x, y, name)


def _extremum_grad(pick_x):
    """TF's rule: where x and y tie, the whole gradient goes to x."""

    def grad(g, z, x, y):
        mask = pick_x(x, y)
        zeros = zeros_like(g)
        return (unbroadcast(select(mask, g, zeros), x),
                unbroadcast(select(mask, zeros, g), y))

    return grad


define_op("maximum", kind=OpKind.ELEMENTWISE, infer=binary_spec("maximum"), impl=np.maximum,
          commutative=True, grad=_extremum_grad(lambda x, y: greater_equal(x, y)),
          lower=lambda b, x, y: b.max(x, y))


@export("math.maximum", "maximum")
def maximum(x, y, name=None) -> Tensor:
    """The larger of x and y, elementwise with broadcasting."""
    return _binary("maximum", x, y, name)


define_op("minimum", kind=OpKind.ELEMENTWISE, infer=binary_spec("minimum"), impl=np.minimum,
          commutative=True, grad=_extremum_grad(lambda x, y: less_equal(x, y)),
          lower=lambda b, x, y: b.min(x, y))


@export("math.minimum", "minimum")
def minimum(x, y, name=None) -> Tensor:
    """The smaller of x and y, elementwise with broadcasting."""
    return _binary("minimum", x, y, name)


def _squared_difference_grad(g, z, x, y):
    gx = multiply(g, multiply(2.0, subtract(x, y)))
    return unbroadcast(gx, x), unbroadcast(negative(gx), y)


define_op("squared_difference", kind=OpKind.ELEMENTWISE, infer=binary_spec("squared_difference"),
          impl=lambda x, y: np.square(x - y), commutative=True, grad=_squared_difference_grad,
          lower=lambda b, x, y: b.mul(b.sub(x, y), b.sub(x, y)))


@export("math.squared_difference")
def squared_difference(x, y, name=None) -> Tensor:
    """(x - y) ** 2, elementwise with broadcasting."""
    return _binary("squared_difference", x, y, name)


def _divide_no_nan_impl(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, np.zeros((), x.dtype), x / y)


def _divide_no_nan_grad(g, z, x, y):
    gy = multiply(g, divide_no_nan(divide_no_nan(negative(x), y), y))
    return unbroadcast(divide_no_nan(g, y), x), unbroadcast(gy, y)


define_op("divide_no_nan", kind=OpKind.ELEMENTWISE, infer=binary_spec("divide_no_nan", FLOATS),
          impl=_divide_no_nan_impl, grad=_divide_no_nan_grad,
          lower=lambda b, x, y: b.select(b.eq(y, b.const(0)), b.const(0), b.div(x, y)))


@export("math.divide_no_nan")
def divide_no_nan(x, y, name=None) -> Tensor:
    """x / y, and 0 wherever y is 0 (even when x is 0 or not finite)."""
    return _binary("divide_no_nan", x, y, name)


@export("math.scalar_mul", "scalar_mul")
def scalar_mul(scalar, x, name=None) -> Tensor:
    """Multiply every element of `x` by the 0-d `scalar`."""
    x = convert_to_tensor(x)
    scalar = convert_to_tensor(scalar, dtype_hint=x.dtype)
    if scalar.shape.rank != 0:
        raise ValueError(f"scalar_mul: only scalar multiply works, got shape {scalar.shape}")
    return multiply(scalar, x, name=name)


# -- n-ary ---------------------------------------------------------------------------------------

def _add_n_infer(*xs: TensorSpec) -> TensorSpec:
    first = xs[0]
    for x in xs[1:]:
        if x.dtype != first.dtype or not first.is_compatible_with(x):
            raise InvalidArgumentError("add_n", "inputs must all have one shape and dtype")
    shape = tuple(next((d for d in dims if d is not None), None)
                  for dims in zip(*(x.shape for x in xs)))
    return TensorSpec(shape, first.dtype)


def _add_n_impl(*xs):
    if any(x.shape != xs[0].shape for x in xs):
        raise InvalidArgumentError("add_n", "inputs must all have one shape and dtype")
    return sum(xs[1:], start=xs[0])


def _add_n_lower(b, *xs):
    total = xs[0]
    for x in xs[1:]:
        total = b.add(total, x)
    return total


define_op("add_n", kind=OpKind.ELEMENTWISE, infer=_add_n_infer,
          impl=_add_n_impl, commutative=True,
          grad=lambda g, z, *xs: (g,) * len(xs), lower=_add_n_lower)


@export("math.add_n", "add_n")
def add_n(inputs, name=None) -> Tensor:
    """Sum a list of tensors of one shape and dtype, elementwise."""
    if isinstance(inputs, Tensor) or not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors of one shape and "
                         "dtype")
    first = next((convert_to_tensor(v) for v in inputs if hasattr(v, "dtype")), None)
    if first is None:
        first = convert_to_tensor(inputs[0])
    tensors = [operand_like(v, first.dtype, "add_n") for v in inputs]
    return bind("add_n", *tensors, name=name)


@export("clip_by_value")
def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    """Clamp `t` to [clip_value_min, clip_value_max]; the bounds may broadcast into `t`."""
    t = convert_to_tensor(t)
    clipped = maximum(minimum(t, clip_value_max), clip_value_min, name=name)
    if clipped.shape != t.shape:
        raise InvalidArgumentError("clip_by_value", f"clipping bounds would broadcast `t` from "
                                   f"{t.shape} to {clipped.shape}")
    return clipped
