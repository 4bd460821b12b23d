"""The scalar-expression vocabulary that elementwise ops lower to.

An elementwise op's `lower` is a function `(b, *xs, **attrs) -> value` written with the methods
below; the compiler supplies a builder that emits LLVM IR, and `NumpyScalarBuilder` evaluates the
same expression on arrays, so tests can check every lowering against the op's `impl`.
"""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


class NumpyScalarBuilder:
    """Evaluate a lowering expression with NumPy (the reference for every native builder).

    Values are arrays; `dtype` is the element type the expression computes in.
    """

    def __init__(self, dtype: np.dtype):
        self.dtype = np.dtype(dtype)

    def const(self, value, dtype=None):
        return np.asarray(value, dtype=self.dtype if dtype is None else np.dtype(dtype))

    def cast(self, x, dtype):
        return np.asarray(x).astype(np.dtype(dtype))

    # arithmetic
    def add(self, x, y): return x + y
    def sub(self, x, y): return x - y
    def mul(self, x, y): return x * y
    def div(self, x, y): return x / y
    def floordiv(self, x, y): return np.floor_divide(x, y)
    def floormod(self, x, y): return np.mod(x, y)
    def pow(self, x, y): return np.power(x, y)
    def neg(self, x): return -x
    def abs(self, x): return np.abs(x)
    def sign(self, x): return np.sign(x)
    def max(self, x, y): return np.maximum(x, y)
    def min(self, x, y): return np.minimum(x, y)
    def floor(self, x): return np.floor(x)
    def ceil(self, x): return np.ceil(x)
    def round(self, x): return np.round(x)  # half to even, as TF

    # transcendental
    def exp(self, x): return np.exp(x)
    def expm1(self, x): return np.expm1(x)
    def log(self, x): return np.log(x)
    def log1p(self, x): return np.log1p(x)
    def sqrt(self, x): return np.sqrt(x)
    def rsqrt(self, x): return 1 / np.sqrt(x)
    def tanh(self, x): return np.tanh(x)
    def sigmoid(self, x): return 1 / (1 + np.exp(-x))
    def erf(self, x): return _erf(x).astype(np.asarray(x).dtype)
    def sin(self, x): return np.sin(x)
    def cos(self, x): return np.cos(x)
    def tan(self, x): return np.tan(x)

    # comparisons and logic (results are bool)
    def lt(self, x, y): return x < y
    def le(self, x, y): return x <= y
    def gt(self, x, y): return x > y
    def ge(self, x, y): return x >= y
    def eq(self, x, y): return x == y
    def ne(self, x, y): return x != y
    def logical_and(self, x, y): return np.logical_and(x, y)
    def logical_or(self, x, y): return np.logical_or(x, y)
    def logical_not(self, x): return np.logical_not(x)
    def is_nan(self, x): return np.isnan(x)
    def is_finite(self, x): return np.isfinite(x)
    def select(self, cond, x, y): return np.where(cond, x, y)


SCALAR_METHODS = tuple(name for name in vars(NumpyScalarBuilder) if not name.startswith("_"))
