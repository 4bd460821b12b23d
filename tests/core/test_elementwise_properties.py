"""Properties of the elementwise family: broadcasting agrees with NumPy, inference agrees with
NumPy's broadcast shape, and every elementwise op's `lower` computes what its `impl` does."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fuseflow as ff
from fuseflow.core import dtypes
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.registry import REGISTRY, OpKind
from fuseflow.core.scalar import NumpyScalarBuilder
from fuseflow.core.shape import TensorSpec
from tests.core.op_cases import OP_CASES
from tests.helpers import as_tensors, record_ops

FEW = settings(max_examples=25, deadline=None)
# Core's elementwise ops; floors above may register internal ones (the compiler's `fused` node),
# which have no scalar lowering of their own.
ELEMENTWISE = sorted(name for name, op in REGISTRY.items() if op.kind is OpKind.ELEMENTWISE
                     and op.infer.__module__.startswith("fuseflow.core."))

# op -> (public function, float64 reference, how to make the operands valid for it)
BINARY = {
    "add": (ff.add, np.add, None),
    "subtract": (ff.subtract, np.subtract, None),
    "multiply": (ff.multiply, np.multiply, None),
    "divide": (ff.divide, np.divide, "positive_y"),
    "maximum": (ff.maximum, np.fmax, None),
    "minimum": (ff.minimum, np.fmin, None),
    "squared_difference": (ff.math.squared_difference, lambda x, y: (x - y) ** 2, None),
    "pow": (ff.pow, lambda x, y: np.exp(y * np.log(x)), "positive_x"),
    "floormod": (ff.math.floormod, lambda x, y: x - y * np.floor(x / y), "positive_y"),
    "less": (ff.less, np.less, None),
    "greater_equal": (ff.greater_equal, np.greater_equal, None),
    "logical_and": (ff.logical_and, np.logical_and, "bool"),
    "logical_xor": (ff.math.logical_xor, np.logical_xor, "bool"),
}


def _operands(data, shapes, kind):
    """Draw arrays of `shapes` valid for an op whose operands need `kind`."""
    if kind == "bool":
        return [data.draw(hnp.arrays(np.bool_, s)) for s in shapes]
    floats = st.floats(-3, 3, width=32)
    x, y = (data.draw(hnp.arrays(np.float32, s, elements=floats)) for s in shapes)
    if kind == "positive_x":
        x = np.abs(x) + np.float32(0.5)
    if kind == "positive_y":
        y = np.abs(y) + np.float32(0.5)
    return [x, y]


@FEW
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                                  max_side=4))
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_op_broadcasts_like_numpy(op, data, shapes):
    fn, reference, kind = BINARY[op]
    x, y = _operands(data, shapes.input_shapes, kind)
    got = fn(ff.constant(x), ff.constant(y))
    want = reference(x.astype(np.float64) if kind != "bool" else x,
                     y.astype(np.float64) if kind != "bool" else y)
    assert tuple(got.shape) == shapes.result_shape == np.broadcast_shapes(x.shape, y.shape)
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=1e-6)


@FEW
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=5),
       unknown=st.lists(st.booleans(), min_size=8, max_size=8))
def test_inferred_binary_shape_is_numpys_broadcast_shape(shapes, unknown):
    a, b = shapes.input_shapes
    spec = REGISTRY["add"].infer(TensorSpec(a, ff.float32), TensorSpec(b, ff.float32))
    assert spec.shape == shapes.result_shape
    # Unknown (None) dims stay compatible with the real broadcast shape.
    hidden_a = tuple(None if u else d for d, u in zip(a, unknown))
    spec = REGISTRY["multiply"].infer(TensorSpec(hidden_a, ff.float32), TensorSpec(b, ff.float32))
    assert ff.TensorShape(spec.shape).is_compatible_with(shapes.result_shape)


def test_inference_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[2, 3\] vs. \[1, 4\]"):
        REGISTRY["add"].infer(TensorSpec((2, 3), ff.float32), TensorSpec((4,), ff.float32))
    with pytest.raises(InvalidArgumentError, match="where"):
        ff.where(ff.constant([True, False]), ff.constant([1.0, 2.0, 3.0]), 0.0)


# -- every lowering agrees with its impl ---------------------------------------------------------

@functools.cache
def _recorded_calls() -> dict:
    """op name -> (inputs, attrs, output) of the elementwise calls every op case makes."""
    calls: dict[str, list] = {}
    for case in OP_CASES:
        for opdef, inputs, attrs, out in record_ops(case.fn, *as_tensors(case.sample_inputs())):
            if opdef.kind is OpKind.ELEMENTWISE:
                calls.setdefault(opdef.name, []).append((inputs, attrs, out))
    return calls


def _builder_dtype(arrays) -> np.dtype:
    """The dtype an expression computes in: its first non-bool operand's (bool if all are)."""
    return next((a.dtype for a in arrays if a.dtype != np.bool_), np.dtype(np.bool_))


def _check_lowering(name: str, arrays: list, attrs: dict, expected: np.ndarray) -> None:
    builder = NumpyScalarBuilder(_builder_dtype(arrays))
    with np.errstate(all="ignore"):
        lowered = np.asarray(REGISTRY[name].lower(builder, *arrays, **attrs))
    assert lowered.dtype == expected.dtype, f"{name}: {lowered.dtype} != {expected.dtype}"
    lowered = np.broadcast_to(lowered, expected.shape)  # the compiler's indexing broadcasts
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(lowered, expected, rtol=1e-5, atol=1e-6, err_msg=name)
    else:
        np.testing.assert_array_equal(lowered, expected, err_msg=name)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_lowering_agrees_with_impl(name):
    calls = _recorded_calls().get(name)
    assert calls, f"no op case exercises the elementwise op {name!r}"
    for inputs, attrs, out in calls:
        _check_lowering(name, [t._value for t in inputs], attrs, out._value)


UNARY_FLOAT_OPS = [("sigmoid", {}), ("softplus", {}), ("softsign", {}), ("elu", {}),
                   ("selu", {}), ("gelu", {"approximate": False}), ("gelu", {"approximate": True}),
                   ("swish", {"beta": 1.0}), ("leaky_relu", {"alpha": 0.2}), ("relu6", {}),
                   ("erf", {}), ("expm1", {}), ("tanh", {}), ("exp", {}), ("abs", {}),
                   ("sign", {}), ("square", {}), ("sin", {}), ("cos", {}), ("floor", {}),
                   ("ceil", {}), ("round", {}), ("is_nan", {}), ("is_finite", {})]


@FEW
@given(x=hnp.arrays(np.float32, hnp.array_shapes(max_dims=2, max_side=6),
                    elements=st.floats(-80, 80, width=32)))
@pytest.mark.parametrize("name, attrs", UNARY_FLOAT_OPS, ids=lambda v: str(v))
def test_unary_lowering_agrees_with_impl_over_wide_ranges(name, attrs, x):
    with np.errstate(all="ignore"):
        expected = np.asarray(REGISTRY[name].impl(x, **attrs))
    _check_lowering(name, [x], attrs, expected)


# -- numerical stability and exact rules ---------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sigmoid_and_softplus_are_finite_and_exact_at_extremes(dtype):
    values = [-1e4, -60.0, 0.0, 60.0, 1e4]
    x = ff.constant(values, dtype=dtype)
    with np.errstate(over="raise", invalid="raise"):  # not even in a branch `where` discards
        s, sp = ff.sigmoid(x).numpy(), ff.nn.softplus(x).numpy()
    assert s.dtype == sp.dtype == np.dtype(dtype)
    exact_sigmoid = [1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
                     for v in values]
    exact_softplus = [max(v, 0) + math.log1p(math.exp(-abs(v))) for v in values]
    np.testing.assert_allclose(s, np.array(exact_sigmoid, dtype), rtol=1e-3, atol=0)
    np.testing.assert_allclose(sp, np.array(exact_softplus, dtype), rtol=1e-3, atol=0)


def test_sigmoid_gradient_is_finite_for_large_inputs():
    x = ff.constant([-200.0, 0.0, 200.0])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.reduce_sum(ff.sigmoid(x) + ff.nn.softplus(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.0, 0.75, 1.0])


@pytest.mark.parametrize("fn", [ff.maximum, ff.minimum])
def test_extremum_ties_send_the_whole_gradient_to_x(fn):
    x, y = ff.constant([1.0, 2.0, 3.0]), ff.constant([1.0, 5.0, 0.0])
    with ff.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = fn(x, y)
    gx, gy = tape.gradient(z, [x, y])
    picked_x = [1.0, 0.0, 1.0] if fn is ff.maximum else [1.0, 1.0, 0.0]
    np.testing.assert_array_equal(gx.numpy(), picked_x)
    np.testing.assert_array_equal(gy.numpy(), 1.0 - np.array(picked_x))


@pytest.mark.parametrize("fn", [ff.floor, ff.math.ceil, ff.round, ff.equal, ff.less,
                                ff.math.is_nan, ff.math.floordiv])
def test_piecewise_constant_ops_have_no_gradient(fn):
    x = ff.constant([0.3, 1.7])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = fn(x) if fn in (ff.floor, ff.math.ceil, ff.round, ff.math.is_nan) else fn(x, 1.0)
    assert tape.gradient(y, x) is None


def test_sign_gradient_is_zero():
    x = ff.constant([-2.0, 3.0])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.sign(x) * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [-1.0, 1.0])


def test_where_gradient_flows_only_to_the_selected_side():
    c = ff.constant([True, False, True])
    x, y = ff.constant([1.0, 2.0, 3.0]), ff.constant(10.0)
    with ff.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = ff.where(c, x * x, y)
    np.testing.assert_array_equal(tape.gradient(z, x).numpy(), [2.0, 0.0, 6.0])
    assert float(tape.gradient(z, y)) == 1.0


def test_pow_gradient_for_the_exponent_is_zero_where_the_base_is_not_positive():
    x, y = ff.constant([-2.0, 0.0, 2.0]), ff.constant([2.0, 2.0, 2.0])
    with ff.GradientTape() as tape:
        tape.watch(y)
        z = ff.pow(x, y)
    np.testing.assert_allclose(tape.gradient(z, y).numpy(), [0.0, 0.0, 4 * math.log(2)])


def test_integer_division_by_zero_is_an_error():
    for fn in (ff.math.floordiv, ff.math.floormod):
        with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
            fn(ff.constant([1, 2]), ff.constant([1, 0]))
    with pytest.raises(InvalidArgumentError, match="pow"):
        ff.pow(ff.constant([2]), ff.constant([-1]))


def test_divide_no_nan_gives_zero_where_the_divisor_is_zero():
    got = ff.math.divide_no_nan(ff.constant([1.0, 0.0, np.inf]), ff.constant([0.0, 0.0, 2.0]))
    np.testing.assert_array_equal(got.numpy(), [0.0, 0.0, np.inf])


def test_where_with_one_argument_gives_int64_coordinates():
    got = ff.where(ff.constant([[True, False], [False, True]]))
    assert got.dtype == ff.int64
    np.testing.assert_array_equal(got.numpy(), [[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="both"):
        ff.where(ff.constant([True]), ff.constant([1.0]))


def test_round_keeps_integers_and_rounds_halves_to_even():
    assert ff.round(ff.constant([3])).dtype == ff.int32
    np.testing.assert_array_equal(ff.round(ff.constant([0.5, 1.5, 2.5, -0.5])).numpy(),
                                  [0.0, 2.0, 2.0, -0.0])


def test_clip_by_value_refuses_bounds_that_broadcast_t():
    with pytest.raises(InvalidArgumentError, match="clip_by_value"):
        ff.clip_by_value(ff.constant([1.0, 2.0]), ff.constant([[0.0], [1.0]]), 3.0)


def test_add_n_and_scalar_mul_check_their_arguments():
    assert ff.add_n([ff.constant([1.0]), [2.0], np.array([3.0])]).numpy().tolist() == [6.0]
    with pytest.raises(ValueError, match="add_n"):
        ff.add_n([])
    with pytest.raises(InvalidArgumentError, match="add_n"):
        ff.add_n([ff.constant([1.0]), ff.constant([1.0, 2.0])])
    with pytest.raises(ValueError, match="scalar"):
        ff.math.scalar_mul(ff.constant([2.0, 3.0]), ff.constant([1.0, 1.0]))


def test_leaky_relu_casts_integers_to_float32():
    got = ff.nn.leaky_relu(ff.constant([-10, 10]))
    assert got.dtype == dtypes.float32
    np.testing.assert_allclose(got.numpy(), [-2.0, 10.0])


def test_erf_is_accurate_in_every_float_dtype():
    x = np.linspace(-5, 5, 2001)
    want = np.vectorize(math.erf)(x)
    for dtype, tol in (("float16", 1e-3), ("float32", 2e-7), ("float64", 1e-15)):
        got = ff.math.erf(ff.constant(x, dtype=dtype)).numpy().astype(np.float64)
        want_rounded = want.astype(dtype).astype(np.float64)
        np.testing.assert_allclose(got, want_rounded, rtol=tol, atol=tol * 1e-3, err_msg=dtype)
