"""Vectorized math in IR against NumPy/math float64 references, measured in ulps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fuseflow.compiler.lowering.expression import compile_expression

_erf = np.vectorize(math.erf, otypes=[np.float64])
REFERENCES = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "tanh": np.tanh,
    "sigmoid": lambda x: _sigmoid(x), "erf": _erf,
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(x) / (1 + exp(x)) for x < 0: 1 / (1 + exp(-x)) would flush tiny results to 0.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)
# float64 results are compared with float64 NumPy, itself within ~1 ulp of the truth.
MAX_ULPS = {np.float32: 3.0, np.float64: 4.0}
_kernels: dict = {}


def kernel(name: str, dtype):
    key = (name, dtype)
    if key not in _kernels:
        _kernels[key] = compile_expression(lambda b, x: getattr(b, name)(x), [dtype], dtype)
    return _kernels[key]


def inputs(dtype) -> np.ndarray:
    rng = np.random.default_rng(0)
    info = np.finfo(dtype)
    scales = (1e-30, 1e-6, 0.1, 1.0, 3.0, 10.0, 100.0, 800.0)
    values = np.concatenate([rng.standard_normal(500) * s for s in scales])
    specials = [0.0, -0.0, 1.0, -1.0, 0.5, 4.0, 6.0, 20.0, -20.0, 88.7, -87.5, -103.0, 709.0,
                -745.0, float(info.tiny) / 7, -float(info.tiny) / 7, float(info.tiny),
                float(info.max), -float(info.max)]
    with np.errstate(over="ignore"):
        return np.concatenate([values, specials]).astype(dtype)


def ulp_error(got: np.ndarray, ref64: np.ndarray, dtype) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        ref = ref64.astype(dtype)
        spacing = np.spacing(np.abs(ref).astype(dtype)).astype(np.float64)
        spacing = np.maximum(spacing, float(np.finfo(dtype).smallest_subnormal))
        err = np.abs(got.astype(np.float64) - ref64) / spacing
    same_special = (np.isnan(got) & np.isnan(ref)) | (np.isinf(ref) & (got == ref))
    return np.where(same_special, 0.0, np.where(np.isfinite(err), err, np.inf))


def domain(name: str, x: np.ndarray) -> np.ndarray:
    if name == "log":
        return np.abs(x)
    if name == "log1p":
        return np.where(x < -1, -x, x)
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_math_function_is_within_a_few_ulps(name, dtype):
    x = domain(name, inputs(dtype))
    with np.errstate(all="ignore"):
        ref = REFERENCES[name](x.astype(np.float64))
    got = kernel(name, dtype)(x)
    err = ulp_error(got, ref, dtype)
    worst = int(np.argmax(err))
    assert err[worst] <= MAX_ULPS[dtype], f"{name}({x[worst]!r}) = {got[worst]!r}, " \
        f"reference {ref[worst]!r}: {err[worst]:.2f} ulp"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_math_function_keeps_nan_and_infinities(name, dtype):
    x = np.array([np.nan, np.inf, -np.inf, -0.0], dtype)
    with np.errstate(all="ignore"):
        ref = REFERENCES[name](x.astype(np.float64)).astype(dtype)
    got = kernel(name, dtype)(x)
    np.testing.assert_array_equal(got, ref)
    assert np.signbit(got[3]) == np.signbit(ref[3])


def test_math_function_is_vectorized_in_optimized_ir():
    from fuseflow.compiler.codegen import get_codegen
    from fuseflow.compiler.lowering.expression import _emit

    text = get_codegen().optimized_ir(_emit(lambda b, x: b.tanh(x), [np.dtype("float32")],
                                            np.dtype("float32"), "vector_check"))
    assert "x float>" in text
    assert "@tanhf" not in text and "@expf" not in text
