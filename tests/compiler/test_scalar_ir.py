"""The IR scalar builder covers the whole vocabulary and agrees with NumpyScalarBuilder."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.compiler.lowering.expression import compile_expression
from fuseflow.compiler.scalar_ir import IRScalarBuilder
from fuseflow.core.scalar import SCALAR_METHODS, NumpyScalarBuilder

UNARY_FLOAT = ["neg", "abs", "sign", "floor", "ceil", "round", "exp", "expm1", "log", "log1p",
               "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "sin", "cos", "tan", "is_nan",
               "is_finite", "logical_not"]
BINARY_FLOAT = ["add", "sub", "mul", "div", "floordiv", "floormod", "pow", "max", "min", "lt",
                "le", "gt", "ge", "eq", "ne", "logical_and", "logical_or"]
BINARY_INT = ["add", "sub", "mul", "floordiv", "floormod", "max", "min", "lt", "eq", "ne"]
UNARY_INT = ["neg", "abs", "sign", "is_nan", "is_finite"]


def test_builder_implements_every_scalar_method():
    missing = [name for name in SCALAR_METHODS if not hasattr(IRScalarBuilder, name)]
    assert missing == []


def _floats() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 64).astype(np.float32)
    y = rng.uniform(-3, 3, 64).astype(np.float32)
    x[:6] = [np.nan, np.inf, -np.inf, 0.0, -2.5, 2.5]
    y[:6] = [1.0, 2.0, np.nan, 0.5, 0.0, -1.5]
    return [x, y]


def _check(fn, arrays, in_dtype, rtol=2e-6):
    reference = fn(NumpyScalarBuilder(in_dtype), *arrays)
    native = compile_expression(fn, [a.dtype for a in arrays], np.asarray(reference).dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(native(*arrays), reference, rtol=rtol, atol=1e-6,
                                   equal_nan=True)


@pytest.mark.parametrize("name", UNARY_FLOAT)
def test_unary_float_method_matches_numpy(name):
    x = np.abs(_floats()[0]) if name in ("log", "log1p", "sqrt", "rsqrt") else _floats()[0]
    with np.errstate(all="ignore"):
        _check(lambda b, v: getattr(b, name)(v), [x], np.float32)


@pytest.mark.parametrize("name", BINARY_FLOAT)
def test_binary_float_method_matches_numpy(name):
    x, y = _floats()
    if name == "pow":
        x = np.abs(x)
    with np.errstate(all="ignore"):
        _check(lambda b, u, v: getattr(b, name)(u, v), [x, y], np.float32)


@pytest.mark.parametrize("name", BINARY_INT)
def test_binary_int_method_matches_numpy(name):
    rng = np.random.default_rng(1)
    x = rng.integers(-20, 20, 64).astype(np.int32)
    y = rng.integers(-5, 5, 64).astype(np.int32)
    y[y == 0] = 3  # NumPy warns on integer division by zero; checked separately
    _check(lambda b, u, v: getattr(b, name)(u, v), [x, y], np.int32)


@pytest.mark.parametrize("name", UNARY_INT)
def test_unary_int_method_matches_numpy(name):
    x = np.arange(-5, 5, dtype=np.int32)
    _check(lambda b, v: getattr(b, name)(v), [x], np.int32)


def test_integer_division_by_zero_gives_zero_not_a_trap():
    x = np.array([7, -7, np.iinfo(np.int32).min], np.int32)
    y = np.array([0, 0, -1], np.int32)
    div = compile_expression(lambda b, u, v: b.floordiv(u, v), [np.int32, np.int32], np.int32)
    mod = compile_expression(lambda b, u, v: b.floormod(u, v), [np.int32, np.int32], np.int32)
    np.testing.assert_array_equal(div(x, y), [0, 0, np.iinfo(np.int32).min])
    np.testing.assert_array_equal(mod(x, y), [0, 0, 0])


@pytest.mark.parametrize("dst", ["float64", "int32", "uint8", "bool", "int64"])
def test_cast_matches_numpy_for_in_range_values(dst):
    x = np.array([0.0, 1.5, -2.7, 3.0, 100.2], np.float32)
    if dst == "uint8":
        x = np.abs(x)
    _check(lambda b, v: b.cast(v, dst), [x], np.float32)


def test_select_and_constants():
    x, y = _floats()
    _check(lambda b, u, v: b.select(b.gt(u, b.const(0)), u, b.mul(v, b.const(2.5))), [x, y],
           np.float32)


def test_bool_inputs_and_outputs():
    x = np.array([True, False, True, False])
    y = np.array([True, True, False, False])
    _check(lambda b, u, v: b.logical_and(u, b.logical_not(v)), [x, y], np.bool_)


def test_math_calls_counts_transcendental_functions_per_builder():
    from llvmlite import ir

    from fuseflow.compiler.scalar_ir import math_calls

    module = ir.Module("count")
    fn = ir.Function(module, ir.FunctionType(ir.FloatType(), [ir.FloatType()]), "f")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    sb = IRScalarBuilder(b, np.float32)
    x = sb.wrap(fn.args[0], np.float32)
    y = sb.add(sb.mul(x, 2.0), 1.0)
    assert math_calls(b) == 0
    y = sb.tanh(sb.exp(y))
    assert math_calls(b) == 2
    assert math_calls(ir.IRBuilder(fn.append_basic_block("other"))) == 0
    b.ret(y.value)
