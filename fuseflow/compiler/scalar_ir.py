"""IRScalarBuilder: the scalar-expression vocabulary of fuseflow.core.scalar, emitting LLVM IR.

An elementwise op's `lower(b, *xs, **attrs)` runs unchanged against this builder; values are
`Scalar`s (an IR value and its NumPy dtype, which decides signedness and bool handling).
Anything without a native form raises `LoweringUnsupported`, and the op runs its NumPy `impl`.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
from llvmlite import ir

from fuseflow.compiler import mathlib
from fuseflow.compiler.irtypes import I1, const, value_type
from fuseflow.compiler.mathlib import IRMath, call_intrinsic

BOOL = np.dtype(bool)


# Transcendental functions emitted per IR builder: loops with them are tuned differently.
_math_calls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def math_calls(builder: ir.IRBuilder) -> int:
    """How many exp/log/tanh/... expressions have been emitted through `builder`."""
    return _math_calls.get(builder, 0)


class LoweringUnsupported(NotImplementedError):
    """The expression needs something the native builder cannot emit."""


class Scalar:
    """An IR value with the NumPy dtype it stands for; Python operators build IR too."""

    __slots__ = ("builder", "value", "dtype")

    def __init__(self, builder: IRScalarBuilder, value: ir.Value, dtype: np.dtype):
        self.builder, self.value, self.dtype = builder, value, np.dtype(dtype)

    def __add__(self, other): return self.builder.add(self, other)
    def __radd__(self, other): return self.builder.add(other, self)
    def __sub__(self, other): return self.builder.sub(self, other)
    def __rsub__(self, other): return self.builder.sub(other, self)
    def __mul__(self, other): return self.builder.mul(self, other)
    def __rmul__(self, other): return self.builder.mul(other, self)
    def __truediv__(self, other): return self.builder.div(self, other)
    def __rtruediv__(self, other): return self.builder.div(other, self)
    def __neg__(self): return self.builder.neg(self)


def _kind(dtype: np.dtype) -> str:
    return "b" if dtype.kind == "b" else ("f" if dtype.kind == "f" else dtype.kind)


class IRScalarBuilder:
    """Emit IR for lowering expressions; `dtype` is the type constants default to."""

    def __init__(self, builder: ir.IRBuilder, dtype: np.dtype, lanes: int | None = None):
        self.b = builder
        self.dtype = np.dtype(dtype)
        self.lanes = lanes  # None: scalar code (the loop vectorizer widens it)

    # -- values ------------------------------------------------------------------------------
    def ir_type(self, dtype: np.dtype) -> ir.Type:
        try:
            ty = value_type(dtype)
        except NotImplementedError as error:
            raise LoweringUnsupported(str(error)) from None
        return ir.VectorType(ty, self.lanes) if self.lanes else ty

    def wrap(self, value: ir.Value, dtype) -> Scalar:
        return Scalar(self, value, dtype)

    def _as(self, x, dtype: np.dtype) -> Scalar:
        """`x` (a Scalar or a Python number) as a Scalar of `dtype`."""
        if isinstance(x, Scalar):
            return x if x.dtype == dtype else self.cast(x, dtype)
        return self.const(x, dtype)

    def _pair(self, x, y) -> tuple[Scalar, Scalar]:
        if not isinstance(x, Scalar):
            x = self.const(x, y.dtype if isinstance(y, Scalar) else None)
        return x, self._as(y, x.dtype)

    def const(self, value, dtype=None) -> Scalar:
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        if dtype.kind == "b":
            return self.wrap(const(self.ir_type(dtype), int(bool(value))), dtype)
        if dtype.kind in "iu":
            return self.wrap(const(self.ir_type(dtype), int(value)), dtype)
        return self.wrap(const(self.ir_type(dtype), float(value)), dtype)

    def cast(self, x, dtype) -> Scalar:
        dtype = np.dtype(dtype)
        if not isinstance(x, Scalar):
            return self.const(x, dtype)
        src, dst, b = _kind(x.dtype), _kind(dtype), self.b
        if x.dtype == dtype:
            return x
        ty = self.ir_type(dtype)
        if dst == "b":
            zero = const(x.value.type, 0.0 if src == "f" else 0)
            cmp = b.fcmp_unordered("!=", x.value, zero) if src == "f" else \
                b.icmp_unsigned("!=", x.value, zero)
            return self.wrap(cmp, dtype)
        if src == "b":
            value = b.uitofp(x.value, ty) if dst == "f" else b.zext(x.value, ty)
            return self.wrap(value, dtype)
        if src == "f" and dst == "f":
            wider = dtype.itemsize > x.dtype.itemsize
            return self.wrap((b.fpext if wider else b.fptrunc)(x.value, ty), dtype)
        if src == "f":
            # The saturating forms are defined for NaN and out-of-range values.
            name = "fptoui.sat" if dst == "u" else "fptosi.sat"
            return self.wrap(self._call_typed(name, ty, x.value), dtype)
        if dst == "f":
            return self.wrap((b.uitofp if src == "u" else b.sitofp)(x.value, ty), dtype)
        if dtype.itemsize == x.dtype.itemsize:
            return self.wrap(x.value, dtype)
        if dtype.itemsize < x.dtype.itemsize:
            return self.wrap(b.trunc(x.value, ty), dtype)
        return self.wrap((b.zext if src == "u" else b.sext)(x.value, ty), dtype)

    def _call_typed(self, name: str, ty: ir.Type, value: ir.Value) -> ir.Value:
        from fuseflow.compiler.irtypes import mangle

        module = self.b.module
        full = f"llvm.{name}.{mangle(ty)}.{mangle(value.type)}"
        fn = module.globals.get(full) or ir.Function(module, ir.FunctionType(ty, [value.type]),
                                                     full)
        return self.b.call(fn, [value])

    def _intrinsic(self, name: str, *xs: Scalar) -> Scalar:
        return self.wrap(call_intrinsic(self.b, name, xs[0].value.type, [x.value for x in xs]),
                         xs[0].dtype)

    def _float(self, x) -> Scalar:
        x = self._as(x, self.dtype) if not isinstance(x, Scalar) else x
        if x.dtype.kind != "f":
            raise LoweringUnsupported(f"float math on {x.dtype}")
        return x

    # -- arithmetic --------------------------------------------------------------------------
    def _arith(self, x, y, float_op: str, int_op: str) -> Scalar:
        x, y = self._pair(x, y)
        if x.dtype.kind == "b":
            raise LoweringUnsupported("arithmetic on bool")
        op = float_op if x.dtype.kind == "f" else int_op
        return self.wrap(getattr(self.b, op)(x.value, y.value), x.dtype)

    def add(self, x, y): return self._arith(x, y, "fadd", "add")
    def sub(self, x, y): return self._arith(x, y, "fsub", "sub")
    def mul(self, x, y): return self._arith(x, y, "fmul", "mul")

    def div(self, x, y):
        x, y = self._pair(x, y)
        if x.dtype.kind != "f":
            raise LoweringUnsupported("integer true division")
        return self.wrap(self.b.fdiv(x.value, y.value), x.dtype)

    def floordiv(self, x, y):
        x, y = self._pair(x, y)
        if x.dtype.kind == "f":
            return self._float_floordiv(x, y)
        return self._int_divmod(x, y)[0]

    def _float_floordiv(self, x: Scalar, y: Scalar) -> Scalar:
        """NumPy's float floor division: (x - fmod(x, y)) / y, rounded, so inf // y is NaN."""
        zero = self.const(0, x.dtype)
        mod = self.wrap(self.b.frem(x.value, y.value), x.dtype)
        div = self.div(self.sub(x, mod), y)
        fix = self.logical_and(self.ne(mod, zero), self.ne(self.lt(y, zero), self.lt(mod, zero)))
        div = self.select(fix, self.sub(div, self.const(1, x.dtype)), div)
        floor = self.floor(div)
        floor = self.select(self.gt(self.sub(div, floor), self.const(0.5, x.dtype)),
                            self.add(floor, self.const(1, x.dtype)), floor)
        quotient = self.div(x, y)
        signed_zero = self._intrinsic("copysign", zero, quotient)
        floor = self.select(self.eq(div, zero), signed_zero, floor)
        return self.select(self.eq(y, zero), quotient, floor)

    def floormod(self, x, y):
        x, y = self._pair(x, y)
        b = self.b
        if x.dtype.kind != "f":
            return self._int_divmod(x, y)[1]
        r = self.wrap(b.frem(x.value, y.value), x.dtype)
        zero = self.const(0, x.dtype)
        # Python's sign convention: a nonzero remainder takes the sign of the divisor.
        fix = self.logical_and(self.ne(r, zero), self.ne(self.lt(r, zero), self.lt(y, zero)))
        return self.select(fix, self.add(r, y), r)

    def _int_divmod(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        """Floor division and modulo; x // 0 and x % 0 are 0 (as NumPy), never a trap."""
        b, dt = self.b, x.dtype
        zero, one = self.const(0, dt), self.const(1, dt)
        bad = self.eq(y, zero)
        if dt.kind == "i":  # INT_MIN // -1 overflows: divide by 1 and negate instead
            bad = self.logical_or(bad, self.eq(y, self.const(-1, dt)))
        safe = self.select(bad, one, y)
        signed = dt.kind == "i"
        q = self.wrap((b.sdiv if signed else b.udiv)(x.value, safe.value), dt)
        r = self.wrap((b.srem if signed else b.urem)(x.value, safe.value), dt)
        if signed:
            fix = self.logical_and(self.ne(r, zero), self.ne(self.lt(r, zero), self.lt(y, zero)))
            q = self.select(fix, self.sub(q, one), q)
            r = self.select(fix, self.add(r, y), r)
            minus_one = self.eq(y, self.const(-1, dt))
            q = self.select(minus_one, self.neg(x), q)
        q = self.select(self.eq(y, zero), zero, q)
        r = self.select(bad, zero, r)
        return q, r

    def pow(self, x, y):
        x, y = self._pair(x, y)
        if x.dtype.kind != "f":
            raise LoweringUnsupported("integer pow")
        return self._intrinsic("pow", x, y)

    def neg(self, x):
        x = self._as(x, self.dtype)
        if x.dtype.kind == "f":
            return self.wrap(self.b.fneg(x.value), x.dtype)
        return self.sub(self.const(0, x.dtype), x)

    def abs(self, x):
        x = self._as(x, self.dtype)
        if x.dtype.kind == "f":
            return self._intrinsic("fabs", x)
        if x.dtype.kind == "u" or x.dtype.kind == "b":
            return x
        return self.select(self.lt(x, self.const(0, x.dtype)), self.neg(x), x)

    def sign(self, x):
        x = self._as(x, self.dtype)
        zero = self.const(0, x.dtype)
        pos = self.select(self.gt(x, zero), self.const(1, x.dtype), x)  # keeps 0, -0 and NaN
        return self.select(self.lt(x, zero), self.const(-1, x.dtype), pos)

    def max(self, x, y):
        x, y = self._pair(x, y)
        # NaN in either operand gives NaN, as np.maximum.
        chosen = self.select(self.gt(x, y), x, y)
        return self.select(self.is_nan(x), x, chosen) if x.dtype.kind == "f" else chosen

    def min(self, x, y):
        x, y = self._pair(x, y)
        chosen = self.select(self.lt(x, y), x, y)
        return self.select(self.is_nan(x), x, chosen) if x.dtype.kind == "f" else chosen

    def _rounding(self, name: str, x):
        x = self._as(x, self.dtype)
        return self._intrinsic(name, x) if x.dtype.kind == "f" else x

    def floor(self, x): return self._rounding("floor", x)
    def ceil(self, x): return self._rounding("ceil", x)
    def round(self, x): return self._rounding("roundeven", x)

    # -- transcendental ----------------------------------------------------------------------
    def _math(self, name: str, x) -> Scalar:
        x = self._float(x)
        if x.dtype.itemsize not in (4, 8):
            raise LoweringUnsupported(f"{name} on {x.dtype}")
        _math_calls[self.b] = _math_calls.get(self.b, 0) + 1
        return self.wrap(getattr(IRMath(self.b, x.value.type), name)(x.value), x.dtype)

    def exp(self, x): return self._math("exp", x)
    def expm1(self, x): return self._math("expm1", x)
    def log(self, x): return self._math("log", x)
    def log1p(self, x): return self._math("log1p", x)
    def tanh(self, x): return self._math("tanh", x)
    def sigmoid(self, x): return self._math("sigmoid", x)
    def erf(self, x): return self._math("erf", x)
    def sqrt(self, x): return self._intrinsic("sqrt", self._float(x))

    def rsqrt(self, x):
        x = self._float(x)
        return self.div(self.const(1, x.dtype), self.sqrt(x))

    # sin/cos/tan are not in the vectorized set: LLVM calls libm per lane for them.
    def sin(self, x): return self._intrinsic("sin", self._float(x))
    def cos(self, x): return self._intrinsic("cos", self._float(x))
    def tan(self, x): return self._intrinsic("tan", self._float(x))

    # -- comparisons and logic ---------------------------------------------------------------
    def _compare(self, op: str, x, y) -> Scalar:
        x, y = self._pair(x, y)
        b = self.b
        if x.dtype.kind == "f":
            # NaN compares false, except `!=`, which is true (IEEE and NumPy agree).
            value = b.fcmp_unordered(op, x.value, y.value) if op == "!=" else \
                b.fcmp_ordered(op, x.value, y.value)
        elif x.dtype.kind == "i":
            value = b.icmp_signed(op, x.value, y.value)
        else:
            value = b.icmp_unsigned(op, x.value, y.value)
        return self.wrap(value, BOOL)

    def lt(self, x, y): return self._compare("<", x, y)
    def le(self, x, y): return self._compare("<=", x, y)
    def gt(self, x, y): return self._compare(">", x, y)
    def ge(self, x, y): return self._compare(">=", x, y)
    def eq(self, x, y): return self._compare("==", x, y)
    def ne(self, x, y): return self._compare("!=", x, y)

    def _bool(self, x) -> Scalar:
        return self._as(x, BOOL)

    def logical_and(self, x, y):
        return self.wrap(self.b.and_(self._bool(x).value, self._bool(y).value), BOOL)

    def logical_or(self, x, y):
        return self.wrap(self.b.or_(self._bool(x).value, self._bool(y).value), BOOL)

    def logical_not(self, x):
        value = self._bool(x).value
        return self.wrap(self.b.xor(value, const(value.type, 1)), BOOL)

    def is_nan(self, x):
        x = self._as(x, self.dtype)
        if x.dtype.kind != "f":
            return self.const(False, BOOL)
        return self.wrap(self.b.fcmp_unordered("uno", x.value, x.value), BOOL)

    def is_finite(self, x):
        x = self._as(x, self.dtype)
        if x.dtype.kind != "f":
            return self.const(True, BOOL)
        inf = const(x.value.type, math.inf)
        return self.wrap(self.b.fcmp_ordered("<", self._intrinsic("fabs", x).value, inf), BOOL)

    def select(self, cond, x, y):
        cond = self._bool(cond)
        x, y = self._pair(x, y)
        return self.wrap(self.b.select(cond.value, x.value, y.value), x.dtype)


def lower_op(opdef, builder: ir.IRBuilder, args: list[Scalar], attrs: dict,
             out_dtype: np.dtype, lanes: int | None = None) -> Scalar:
    """Emit `opdef`'s scalar expression on `args`, as a value of `out_dtype`."""
    if not callable(opdef.lower):
        raise LoweringUnsupported(f"{opdef.name} has no scalar expression")
    dtype = args[0].dtype if args else out_dtype
    scalar_builder = IRScalarBuilder(builder, dtype, lanes)
    for arg in args:
        arg.builder = scalar_builder
    result = opdef.lower(scalar_builder, *args, **attrs)
    return scalar_builder._as(result, np.dtype(out_dtype))


__all__ = ["IRScalarBuilder", "LoweringUnsupported", "Scalar", "lower_op", "math_calls", "mathlib",
           "I1"]
