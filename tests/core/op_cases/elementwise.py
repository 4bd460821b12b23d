"""Cases for the elementwise family (elementwise, unary_math, comparison, activation)."""

from __future__ import annotations

import math

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, ints, positive, sample

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_erf = np.vectorize(math.erf)


def bools(*shape: int):
    """A sampler part: random bools."""
    return lambda rng: rng.random(shape) < 0.5


def nonzero(*shape: int, low: float = 0.5, high: float = 2.0):
    """A sampler part: floats of either sign, bounded away from zero."""
    return lambda rng: (rng.uniform(low, high, size=shape)
                        * rng.choice([-1.0, 1.0], size=shape)).astype(np.float32)


def nonzero_ints(*shape: int):
    return lambda rng: (rng.integers(1, 6, size=shape) * rng.choice([-1, 1], size=shape)
                        ).astype(np.int32)


def fixed(*values, dtype=np.float32):
    """A sampler part: exactly these values."""
    return lambda rng: np.array(values, dtype=dtype)


def with_zeros(*shape: int):
    """Floats where every other element is exactly zero."""

    def part(rng):
        x = rng.uniform(-2, 2, size=shape).astype(np.float32)
        x.reshape(-1)[::2] = 0
        return x

    return part


def _round_half_even(x):
    low = np.floor(x)
    tie_to_low = (x - low == 0.5) & (low % 2 == 0)
    return np.where(tie_to_low, low, np.floor(x + 0.5))


def unary(op, fn, ref, part=None, **kw) -> OpCase:
    return OpCase(op, fn, sample(part or floats(3, 4)), ref, **kw)


SPECIALS = fixed(-np.inf, -1.5, 0.0, np.nan, 2.0, np.inf)

UNARY = [
    unary("abs", ff.abs, np.abs),
    unary("abs", ff.math.abs, lambda x: np.where(x < 0, -x, x), ints(5), label="int", grad=False),
    unary("sign", ff.sign, lambda x: (x > 0).astype(x.dtype) - (x < 0)),
    unary("sign", ff.math.sign, np.sign, ints(6), label="int", grad=False),
    unary("square", ff.square, lambda x: x * x),
    unary("square", ff.math.square, lambda x: x * x, ints(4), label="int", grad=False),
    unary("reciprocal", ff.math.reciprocal, lambda x: 1 / x, nonzero(5)),
    unary("sqrt", ff.sqrt, lambda x: x ** 0.5, positive(5)),
    unary("rsqrt", ff.math.rsqrt, lambda x: x ** -0.5, positive(5)),
    unary("expm1", ff.math.expm1, lambda x: np.exp(x) - 1),
    unary("expm1", ff.math.expm1, np.expm1, fixed(1e-6, -3e-7), label="tiny", atol=0, grad=False),
    unary("log1p", ff.math.log1p, lambda x: np.log(1 + x), floats(6, low=-0.5, high=3)),
    unary("log1p", ff.math.log1p, np.log1p, fixed(1e-7, -2e-6), label="tiny", atol=0, grad=False),
    unary("sin", ff.sin, np.sin),
    unary("cos", ff.math.cos, np.cos),
    unary("tan", ff.tan, lambda x: np.sin(x) / np.cos(x), floats(5, low=-1.2, high=1.2)),
    unary("erf", ff.math.erf, _erf, floats(4, 5, low=-3, high=3)),
    unary("erf", ff.math.erf, _erf, fixed(-7.0, -4.0, -1.0, -1e-3, 0.0, 3e-8, 0.99, 1.0, 3.9, 9.0),
          label="edges", atol=0, grad=False),
    unary("floor", ff.floor, lambda x: x - np.mod(x, 1), grad=False),
    unary("ceil", ff.math.ceil, lambda x: -np.floor(-x), grad=False),
    unary("round", ff.round, _round_half_even, fixed(-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.7, -0.2),
          label="halves", grad=False),
    unary("logical_not", ff.logical_not, lambda x: ~x, bools(3, 2), grad=False),
    unary("is_nan", ff.math.is_nan, lambda x: x != x, SPECIALS, grad=False),
    unary("is_finite", ff.math.is_finite, lambda x: np.abs(x) < np.inf, SPECIALS, grad=False),
]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


ACTIVATIONS = [
    unary("sigmoid", ff.sigmoid, _sigmoid, floats(3, 4, low=-6, high=6)),
    unary("sigmoid", ff.nn.sigmoid, _sigmoid, fixed(-80.0, -30.0, 30.0, 80.0), label="tails",
          atol=1e-40, grad=False),
    unary("relu6", ff.nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6),
          floats(4, 4, low=-3, high=9)),
    unary("elu", ff.nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    unary("selu", ff.nn.selu,
          lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    unary("gelu", ff.nn.gelu, lambda x: x * 0.5 * (1 + _erf(x / np.sqrt(2))),
          floats(3, 4, low=-4, high=4)),
    unary("gelu", lambda x: ff.nn.gelu(x, approximate=True), _gelu_tanh,
          floats(3, 4, low=-4, high=4), label="tanh"),
    unary("softplus", ff.nn.softplus, lambda x: np.log(1 + np.exp(x)),
          floats(3, 4, low=-8, high=8)),
    unary("softplus", ff.math.softplus, lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))),
          fixed(-80.0, -50.0, 50.0, 200.0), label="tails", atol=1e-40, grad=False),
    unary("softsign", ff.nn.softsign, lambda x: x / (1 + np.abs(x))),
    unary("swish", ff.nn.swish, lambda x: x * _sigmoid(x)),
    unary("swish", lambda x: ff.nn.silu(x, beta=2.0), lambda x: x * _sigmoid(2 * x), label="beta"),
    unary("leaky_relu", ff.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    unary("leaky_relu", lambda x: ff.nn.leaky_relu(x, alpha=0.01),
          lambda x: np.where(x > 0, x, 0.01 * x), label="alpha"),
]


def binary(op, fn, ref, x, y, **kw) -> OpCase:
    return OpCase(op, fn, sample(x, y), ref, **kw)


BINARY = [
    binary("floordiv", ff.math.floordiv, lambda x, y: np.floor(x / y), floats(3, 4, low=-5, high=5),
           nonzero(4), grad=False),
    binary("floordiv", ff.math.floor_div, lambda x, y: (x - np.mod(x, y)) // y, ints(3, 4),
           nonzero_ints(3, 1), label="int", grad=False),
    binary("floormod", ff.math.floormod, lambda x, y: x - y * np.floor(x / y),
           floats(3, 4, low=-5, high=5), nonzero(3, 1)),
    binary("floormod", ff.math.mod, lambda x, y: x - y * np.floor(x / y), ints(6), nonzero_ints(6),
           label="int", grad=False),
    binary("pow", ff.pow, lambda x, y: np.exp(y * np.log(x)), positive(3, 4), floats(4)),
    binary("pow", ff.math.pow, lambda x, y: x ** y, ints(5, low=-3, high=4), ints(5, low=0, high=4),
           label="int", grad=False),
    binary("maximum", ff.maximum, lambda x, y: np.where(x >= y, x, y), floats(3, 4), floats(4)),
    binary("minimum", ff.math.minimum, lambda x, y: np.where(x <= y, x, y), floats(2, 1, 3),
           floats(4, 1)),
    binary("squared_difference", ff.math.squared_difference, lambda x, y: (x - y) ** 2,
           floats(3, 4), floats(3, 1)),
    binary("divide_no_nan", ff.math.divide_no_nan, lambda x, y: x / y, floats(3, 4), nonzero(4)),
    binary("divide_no_nan", ff.math.divide_no_nan,
           lambda x, y: np.divide(x, np.where(y == 0, 1, y)) * (y != 0), floats(6), with_zeros(6),
           label="zeros", grad=False),
    binary("equal", ff.equal, lambda x, y: x == y, ints(3, 4, low=0, high=3),
           ints(4, low=0, high=3), grad=False),
    binary("not_equal", ff.not_equal, lambda x, y: x != y, ints(3, 4, low=0, high=3),
           ints(3, 1, low=0, high=3), grad=False),
    binary("less", ff.less, lambda x, y: x < y, floats(3, 4), floats(4), grad=False),
    binary("less_equal", ff.less_equal, lambda x, y: x <= y, ints(3, 4), ints(4), grad=False),
    binary("greater_equal", ff.greater_equal, lambda x, y: x >= y, ints(3, 4), ints(3, 1),
           grad=False),
    binary("logical_and", ff.logical_and, lambda x, y: x & y, bools(3, 4), bools(4), grad=False),
    binary("logical_or", ff.math.logical_or, lambda x, y: x | y, bools(3, 4), bools(3, 1),
           grad=False),
    binary("logical_xor", ff.math.logical_xor, lambda x, y: x ^ y, bools(2, 3), bools(3),
           grad=False),
]

OTHERS = [
    OpCase("select", ff.where, sample(bools(3, 1), floats(3, 4), floats(4)),
           lambda c, x, y: np.where(c, x, y), label="broadcast"),
    OpCase("where", ff.where, sample(bools(3, 4)),
           lambda c: np.array([(i, j) for i in range(3) for j in range(4) if c[i, j]]
                              ).reshape(-1, 2), label="indices", grad=False),
    OpCase("clip_by_value", lambda t, lo, hi: ff.clip_by_value(t, lo, hi),
           sample(floats(3, 4), floats(4, low=-2, high=-0.5), floats(3, 1, low=0.5, high=2)),
           lambda t, lo, hi: np.minimum(np.maximum(t, lo), hi)),
    OpCase("clip_by_value", lambda t: ff.clip_by_value(t, -0.5, 1.0), sample(floats(5)),
           lambda t: np.minimum(np.maximum(t, -0.5), 1.0), label="scalars"),
    OpCase("add_n", lambda a, b, c: ff.add_n([a, b, c]), sample(floats(2, 3), floats(2, 3),
                                                                 floats(2, 3)),
           lambda a, b, c: a + b + c),
    OpCase("scalar_mul", ff.math.scalar_mul, sample(floats(), floats(3, 2)),
           lambda s, x: s * x),
]

CASES = [
    OpCase("identity", ff.identity, sample(floats(3, 4)), lambda x: x),
    OpCase("stop_gradient", ff.stop_gradient, sample(floats(3)), lambda x: x, grad=False),
    OpCase("cast", lambda x: ff.cast(x, ff.float64), sample(floats(3)), lambda x: x),
    OpCase("negative", ff.negative, sample(floats(2, 3)), np.negative),
    OpCase("exp", ff.exp, sample(floats(5)), np.exp),
    OpCase("log", ff.math.log, sample(positive(5)), np.log),
    OpCase("tanh", ff.tanh, sample(floats(4, 3)), np.tanh),
    OpCase("relu", ff.nn.relu, sample(floats(7)), lambda x: np.maximum(x, 0)),
    OpCase("add", ff.add, sample(floats(3, 1), floats(4)), np.add, label="broadcast"),
    OpCase("subtract", ff.subtract, sample(floats(2, 3), floats(3)), np.subtract),
    OpCase("multiply", ff.multiply, sample(floats(2, 3), floats(2, 1)), np.multiply),
    OpCase("divide", ff.divide, sample(floats(4), positive(4)), np.divide),
    OpCase("greater", ff.greater, sample(floats(4), floats(4)), np.greater, grad=False),
    OpCase("zeros_like", ff.zeros_like, sample(floats(2, 2)), np.zeros_like, grad=False),
    OpCase("ones_like", ff.ones_like, sample(floats(2, 2)), np.ones_like, grad=False),
    *UNARY,
    *ACTIVATIONS,
    *BINARY,
    *OTHERS,
]
