"""Unary elementwise math: abs, sign, powers and roots, logs, trigonometry, erf, rounding."""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import polynomial

from fuseflow.core.api import export
from fuseflow.core.ops._helpers import FLOATS, NUMBERS, elementwise_spec, quiet
from fuseflow.core.ops.elementwise import (
    _unary,
    add,
    divide,
    exp,
    multiply,
    negative,
    zeros_like,
)
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.tensor import Tensor, convert_to_tensor


def _unary_op(name: str, impl, lower, grad=None, allowed: frozenset[str] = FLOATS) -> None:
    define_op(name, kind=OpKind.ELEMENTWISE, infer=elementwise_spec(name, allowed),
              impl=quiet(impl), grad=grad, lower=lower)


_unary_op("abs", np.abs, lambda b, x: b.abs(x), allowed=NUMBERS,
          grad=lambda g, y, x: (multiply(g, sign(x)),))
# d sign(x) = 0 almost everywhere; TF gives zeros rather than None.
_unary_op("sign", np.sign, lambda b, x: b.sign(x), allowed=NUMBERS,
          grad=lambda g, y, x: (zeros_like(x),))
_unary_op("square", np.square, lambda b, x: b.mul(x, x), allowed=NUMBERS,
          grad=lambda g, y, x: (multiply(g, multiply(2.0, x)),))
# The gradients below reuse the forward output `y` wherever that saves recomputing a function.
_unary_op("reciprocal", np.reciprocal, lambda b, x: b.div(b.const(1), x),
          grad=lambda g, y, x: (negative(multiply(g, multiply(y, y))),))
_unary_op("sqrt", np.sqrt, lambda b, x: b.sqrt(x),
          grad=lambda g, y, x: (divide(multiply(g, 0.5), y),))
_unary_op("rsqrt", lambda x: np.reciprocal(np.sqrt(x)), lambda b, x: b.rsqrt(x),
          grad=lambda g, y, x: (multiply(g, multiply(-0.5, multiply(y, multiply(y, y)))),))
_unary_op("expm1", np.expm1, lambda b, x: b.expm1(x),
          grad=lambda g, y, x: (multiply(g, add(y, 1.0)),))
_unary_op("log1p", np.log1p, lambda b, x: b.log1p(x),
          grad=lambda g, y, x: (divide(g, add(x, 1.0)),))
_unary_op("sin", np.sin, lambda b, x: b.sin(x), grad=lambda g, y, x: (multiply(g, cos(x)),))
_unary_op("cos", np.cos, lambda b, x: b.cos(x),
          grad=lambda g, y, x: (negative(multiply(g, sin(x))),))
_unary_op("tan", np.tan, lambda b, x: b.tan(x),
          grad=lambda g, y, x: (multiply(g, add(multiply(y, y), 1.0)),))
# Rounding is piecewise constant: no gradient (TF returns None for floor, ceil and round).
_unary_op("floor", np.floor, lambda b, x: b.floor(x))
_unary_op("ceil", np.ceil, lambda b, x: b.ceil(x))
_unary_op("round", np.round, lambda b, x: b.round(x))  # half to even, as TF


@export("math.abs", "abs")
def abs(x, name=None) -> Tensor:
    """|x|, elementwise."""
    return _unary("abs", x, name)


@export("math.sign", "sign")
def sign(x, name=None) -> Tensor:
    """-1, 0 or 1 by the sign of x, elementwise."""
    return _unary("sign", x, name)


@export("math.square", "square")
def square(x, name=None) -> Tensor:
    """x * x, elementwise."""
    return _unary("square", x, name)


@export("math.reciprocal")
def reciprocal(x, name=None) -> Tensor:
    """1 / x, elementwise."""
    return _unary("reciprocal", x, name)


@export("math.sqrt", "sqrt")
def sqrt(x, name=None) -> Tensor:
    """Square root, elementwise."""
    return _unary("sqrt", x, name)


@export("math.rsqrt")
def rsqrt(x, name=None) -> Tensor:
    """1 / sqrt(x), elementwise."""
    return _unary("rsqrt", x, name)


@export("math.expm1")
def expm1(x, name=None) -> Tensor:
    """exp(x) - 1, accurate for small x."""
    return _unary("expm1", x, name)


@export("math.log1p")
def log1p(x, name=None) -> Tensor:
    """log(1 + x), accurate for small x."""
    return _unary("log1p", x, name)


@export("math.sin", "sin")
def sin(x, name=None) -> Tensor:
    """Sine, elementwise."""
    return _unary("sin", x, name)


@export("math.cos", "cos")
def cos(x, name=None) -> Tensor:
    """Cosine, elementwise."""
    return _unary("cos", x, name)


@export("math.tan", "tan")
def tan(x, name=None) -> Tensor:
    """Tangent, elementwise."""
    return _unary("tan", x, name)


@export("math.floor", "floor")
def floor(x, name=None) -> Tensor:
    """The largest integer not greater than x, elementwise."""
    return _unary("floor", x, name)


@export("math.ceil")
def ceil(x, name=None) -> Tensor:
    """The smallest integer not less than x, elementwise."""
    return _unary("ceil", x, name)


@export("math.round", "round")
def round(x, name=None) -> Tensor:
    """Round to the nearest integer, halves to even; integer tensors come back unchanged."""
    x = convert_to_tensor(x)
    if x.dtype.is_integer:
        return x
    return _unary("round", x, name)


# -- erf ----------------------------------------------------------------------------------------

# Fitted to math.erf (Chebyshev least squares, then power basis): for |x| < 1,
# erf(x) = x * P(2x^2 - 1); for 1 <= |x| < 4, erfc(|x|) = exp(-x^2) * Q((2|x| - 5) / 3).
# Both stay within 2e-10 of erf, far below float32's resolution; beyond 4, erf rounds to +-1.
_ERF_P = (0.965468738645, -0.140536088936, 0.019852497556, -0.00228548639837, 0.000217512518735,
          -1.75351545231e-05, 1.23123504186e-06, -7.66287522934e-08)
_ERFC_Q = (0.210806364057, -0.111521020589, 0.056110494055, -0.0270052807838, 0.0124893604847,
           -0.00557088503223, 0.00240375881851, -0.00100495208023, 0.000408636139141,
           -0.000164203732004, 6.35515645369e-05, -2.07409529823e-05, 7.56699018908e-06,
           -4.97596096851e-06, 1.78475797315e-06)
_erf_exact = np.vectorize(math.erf, otypes=[np.float64])


def _erf_impl(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.float64:
        return _erf_exact(x)  # full double precision; the fit is only good to ~1e-10
    wide = x.astype(np.float64)
    a = np.abs(wide)
    inner = wide * polynomial.polyval(2 * a * a - 1, _ERF_P)
    tail = np.exp(-a * a) * polynomial.polyval((2 * np.minimum(a, 4.0) - 5) / 3, _ERFC_Q)
    outer = np.sign(wide) * np.where(a < 4, 1 - tail, 1.0)
    return np.where(a < 1, inner, outer).astype(x.dtype)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_unary_op("erf", _erf_impl, lambda b, x: b.erf(x),
          grad=lambda g, y, x: (multiply(g, multiply(_TWO_OVER_SQRT_PI,
                                                     exp(negative(multiply(x, x))))),))


@export("math.erf")
def erf(x, name=None) -> Tensor:
    """The Gauss error function, elementwise."""
    return _unary("erf", x, name)
