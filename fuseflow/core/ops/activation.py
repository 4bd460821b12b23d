"""Elementwise activation functions: sigmoid, relu6, elu, selu, gelu, softplus, softsign,
swish and leaky_relu (relu and tanh live in `elementwise`)."""

from __future__ import annotations

import math

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.ops._helpers import FLOATS, NUMBERS, elementwise_spec
from fuseflow.core.ops.comparison import greater, less, logical_and, select
from fuseflow.core.ops.elementwise import (
    add,
    cast,
    divide,
    exp,
    multiply,
    subtract,
    tanh,
    zeros_like,
)
from fuseflow.core.ops.unary_math import _erf_impl, abs, erf, square
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.tensor import Tensor, convert_to_tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_CUBIC = 0.044715


def _activation(name: str, impl, lower, grad, allowed: frozenset[str] = FLOATS) -> None:
    define_op(name, kind=OpKind.ELEMENTWISE, infer=elementwise_spec(name, allowed), impl=impl,
              grad=grad, lower=lower)


def _sigmoid_impl(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows: 1 / (1 + e) for x >= 0 and e / (1 + e) below.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# Reuse the forward output: d sigmoid(x) = y (1 - y).
_activation("sigmoid", _sigmoid_impl, lambda b, x: b.sigmoid(x),
            lambda g, y, x: (multiply(g, multiply(y, subtract(1.0, y))),))


@export("math.sigmoid", "nn.sigmoid", "sigmoid")
def sigmoid(x, name=None) -> Tensor:
    """1 / (1 + exp(-x)), elementwise and stable for large |x|."""
    return bind("sigmoid", convert_to_tensor(x), name=name)


# log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow for large x, no 0 for very negative.
_activation("softplus", lambda x: np.logaddexp(x, 0),
            lambda b, x: b.add(b.max(x, b.const(0)), b.log1p(b.exp(b.neg(b.abs(x))))),
            lambda g, y, x: (multiply(g, sigmoid(x)),))


@export("math.softplus", "nn.softplus")
def softplus(features, name=None) -> Tensor:
    """log(exp(x) + 1), elementwise and stable for large |x|."""
    return bind("softplus", convert_to_tensor(features), name=name)


_activation("softsign", lambda x: x / (1 + np.abs(x)),
            lambda b, x: b.div(x, b.add(b.abs(x), b.const(1))),
            lambda g, y, x: (divide(g, square(add(abs(x), 1.0))),))


@export("math.softsign", "nn.softsign")
def softsign(features, name=None) -> Tensor:
    """x / (|x| + 1), elementwise."""
    return bind("softsign", convert_to_tensor(features), name=name)


_activation("relu6", lambda x: np.clip(x, 0, 6),
            lambda b, x: b.min(b.max(x, b.const(0)), b.const(6)),
            lambda g, y, x: (select(logical_and(greater(y, 0), less(y, 6)), g, zeros_like(g)),),
            allowed=NUMBERS)


@export("nn.relu6")
def relu6(features, name=None) -> Tensor:
    """min(max(x, 0), 6), elementwise."""
    return bind("relu6", convert_to_tensor(features), name=name)


# expm1 only sees min(x, 0), so large positive inputs cannot overflow the unused branch.
_activation("elu", lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            lambda b, x: b.select(b.gt(x, b.const(0)), x, b.expm1(b.min(x, b.const(0)))),
            lambda g, y, x: (select(less(y, 0), multiply(g, add(y, 1.0)), g),))


@export("nn.elu")
def elu(features, name=None) -> Tensor:
    """x for x > 0, exp(x) - 1 otherwise."""
    return bind("elu", convert_to_tensor(features), name=name)


def _selu_lower(b, x):
    negative_part = b.mul(b.const(SELU_ALPHA), b.expm1(b.min(x, b.const(0))))
    return b.mul(b.const(SELU_SCALE), b.select(b.gt(x, b.const(0)), x, negative_part))


_activation("selu",
            lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
            _selu_lower,
            lambda g, y, x: (select(less(y, 0), multiply(g, add(y, SELU_SCALE * SELU_ALPHA)),
                                    multiply(g, SELU_SCALE)),))


@export("nn.selu")
def selu(features, name=None) -> Tensor:
    """Scaled exponential linear unit: scale * elu(x, alpha) with the self-normalizing constants."""
    return bind("selu", convert_to_tensor(features), name=name)


# -- gelu -----------------------------------------------------------------------------------------

def _gelu_impl(x: np.ndarray, *, approximate: bool) -> np.ndarray:
    if approximate:
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)))
    return 0.5 * x * (1 + _erf_impl(x * _SQRT_HALF))


def _gelu_lower(b, x, *, approximate: bool):
    if approximate:
        cubic = b.mul(b.const(_GELU_CUBIC), b.mul(x, b.mul(x, x)))
        inner = b.tanh(b.mul(b.const(_SQRT_2_OVER_PI), b.add(x, cubic)))
    else:
        inner = b.erf(b.mul(x, b.const(_SQRT_HALF)))
    return b.mul(b.mul(b.const(0.5), x), b.add(b.const(1), inner))


def _gelu_grad(g, y, x, *, approximate: bool):
    if approximate:
        x2 = multiply(x, x)
        t = tanh(multiply(_SQRT_2_OVER_PI, add(x, multiply(_GELU_CUBIC, multiply(x2, x)))))
        dinner = multiply(_SQRT_2_OVER_PI, add(1.0, multiply(3 * _GELU_CUBIC, x2)))
        slope = multiply(multiply(0.5, x), multiply(subtract(1.0, multiply(t, t)), dinner))
        return (multiply(g, add(multiply(0.5, add(t, 1.0)), slope)),)
    cdf = multiply(0.5, add(erf(multiply(x, _SQRT_HALF)), 1.0))
    pdf = multiply(_INV_SQRT_2PI, exp(multiply(-0.5, multiply(x, x))))
    return (multiply(g, add(cdf, multiply(x, pdf))),)


define_op("gelu", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("gelu", FLOATS),
          impl=_gelu_impl, grad=_gelu_grad, lower=_gelu_lower)


@export("nn.gelu")
def gelu(features, approximate: bool = False, name=None) -> Tensor:
    """x * Phi(x) (the normal CDF via erf); `approximate=True` uses the tanh form."""
    return bind("gelu", convert_to_tensor(features), approximate=bool(approximate), name=name)


# -- swish, leaky_relu ----------------------------------------------------------------------------

def _swish_grad(g, y, x, *, beta: float):
    s = sigmoid(multiply(x, beta))
    # d/dx x s(bx) = s + b x s (1 - s)
    return (multiply(g, multiply(s, add(multiply(multiply(x, beta), subtract(1.0, s)), 1.0))),)


define_op("swish", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("swish", FLOATS),
          impl=lambda x, *, beta: x * _sigmoid_impl(x * x.dtype.type(beta)), grad=_swish_grad,
          lower=lambda b, x, *, beta: b.mul(x, b.sigmoid(b.mul(x, b.const(beta)))))


@export("nn.silu", "nn.swish")
def swish(features, beta: float = 1.0, name=None) -> Tensor:
    """x * sigmoid(beta * x), also called SiLU."""
    return bind("swish", convert_to_tensor(features), beta=float(beta), name=name)


define_op("leaky_relu", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("leaky_relu", FLOATS),
          impl=lambda x, *, alpha: np.where(x > 0, x, x * x.dtype.type(alpha)),
          grad=lambda g, y, x, *, alpha: (select(greater(x, 0), g, multiply(g, alpha)),),
          lower=lambda b, x, *, alpha: b.select(b.gt(x, b.const(0)), x,
                                                b.mul(x, b.const(alpha))))


@export("nn.leaky_relu")
def leaky_relu(features, alpha: float = 0.2, name=None) -> Tensor:
    """x for x > 0, alpha * x otherwise (integer inputs are cast to float32, as TF)."""
    x = convert_to_tensor(features)
    if x.dtype.is_integer:
        x = cast(x, "float32")
    return bind("leaky_relu", x, alpha=float(alpha), name=name)

