"""Python operators on Tensor and Variable: each one, both operand orders, against NumPy."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.ops import slicing

X = np.array([[1.5, -2.0], [3.0, 0.5]], dtype=np.float32)
Y = np.array([2.0, -4.0], dtype=np.float32)

ARITHMETIC = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
              operator.mod, operator.matmul]
COMPARISON = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


def _operand(kind: str, value: np.ndarray):
    if kind == "tensor":
        return ff.constant(value)
    return ff.Variable(value)


@pytest.mark.parametrize("kind", ["tensor", "variable"])
@pytest.mark.parametrize("op", ARITHMETIC + COMPARISON, ids=lambda op: op.__name__)
def test_binary_operators_match_numpy_on_either_side(op, kind):
    x = _operand(kind, X)
    y = Y if op is not operator.matmul else X.T
    want = op(X.astype(np.float64), y.astype(np.float64))
    for got in (op(x, ff.constant(y)), op(x, y), op(X, ff.constant(y))):
        assert isinstance(got, ff.Tensor), "NumPy must defer to the reflected operator"
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_power_with_scalars_on_either_side(kind):
    x = _operand(kind, np.array([1.0, 2.0, 3.0], dtype=np.float32))
    np.testing.assert_allclose((x ** 2).numpy(), [1.0, 4.0, 9.0])
    np.testing.assert_allclose((2 ** x).numpy(), [2.0, 4.0, 8.0])
    np.testing.assert_allclose((x ** x).numpy(), [1.0, 4.0, 27.0])


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_reflected_operators_with_python_scalars(kind):
    x = _operand(kind, np.array([1.0, 2.0, 4.0], dtype=np.float32))
    np.testing.assert_allclose((1 - x).numpy(), [0.0, -1.0, -3.0])
    np.testing.assert_allclose((8 / x).numpy(), [8.0, 4.0, 2.0])
    np.testing.assert_allclose((7 // x).numpy(), [7.0, 3.0, 1.0])
    np.testing.assert_allclose((7 % x).numpy(), [0.0, 1.0, 3.0])
    np.testing.assert_array_equal((2 < x).numpy(), [False, False, True])


def test_list_matmul_variable_uses_the_reflected_operator():
    v = ff.Variable([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(([[1, 2]] @ v).numpy(), [[7.0, 10.0]])
    np.testing.assert_allclose((v @ [[1], [0]]).numpy(), [[1.0], [3.0]])


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_unary_operators(kind):
    x = _operand(kind, np.array([-1.5, 2.0], dtype=np.float32))
    np.testing.assert_array_equal((-x).numpy(), [1.5, -2.0])
    np.testing.assert_array_equal((+x).numpy(), [-1.5, 2.0])
    np.testing.assert_array_equal(abs(x).numpy(), [1.5, 2.0])


def test_invert_is_logical_not_on_bools_and_bitwise_not_on_integers():
    np.testing.assert_array_equal((~ff.constant([True, False])).numpy(), [False, True])
    np.testing.assert_array_equal((~ff.constant([0, 5, -3])).numpy(), ~np.array([0, 5, -3]))
    np.testing.assert_array_equal((~ff.constant([0, 200], dtype=ff.uint8)).numpy(), [255, 55])
    with pytest.raises(TypeError, match="~"):
        ~ff.constant([1.0])


@pytest.mark.parametrize("op, ref", [(operator.and_, np.logical_and), (operator.or_, np.logical_or),
                                     (operator.xor, np.logical_xor)])
def test_bitwise_operators_are_logical_on_bools(op, ref):
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(op(ff.constant(a), ff.constant(b)).numpy(), ref(a, b))
    np.testing.assert_array_equal(op(a, ff.constant(b)).numpy(), ref(a, b))
    np.testing.assert_array_equal(op(ff.Variable(a), True).numpy(), ref(a, True))
    with pytest.raises(TypeError):
        op(ff.constant([1.0]), ff.constant([2.0]))


def test_comparisons_return_bool_tensors():
    x = ff.constant([1, 2, 3])
    result = x >= 2
    assert isinstance(result, ff.Tensor) and result.dtype == ff.bool
    np.testing.assert_array_equal((x == ff.constant([1, 0, 3])).numpy(), [True, False, True])
    np.testing.assert_array_equal((x != 2).numpy(), [True, False, True])


@pytest.mark.parametrize("other", [None, "text", object(), ff.constant([1.0, 2.0, 3.0]),
                                   ff.constant([1, 2])],
                         ids=["None", "str", "object", "bad_shape", "other_dtype"])
def test_equality_with_uncomparable_values_is_plain_false(other):
    x = ff.constant([1.0, 2.0])
    assert (x == other) is False
    assert (x != other) is True
    assert (ff.Variable([1.0, 2.0]) == other) is False


def test_tensors_stay_unhashable_and_variables_hash_by_identity():
    with pytest.raises(TypeError, match="ref"):
        hash(ff.constant(1.0))
    v = ff.Variable(1.0)
    assert {v: 1}[v] == 1


def test_indexing_is_slicings_getitem():
    assert ff.Tensor.__getitem__ is slicing.getitem
    assert ff.Variable.__getitem__ is slicing.getitem


def test_integer_operators_keep_integer_dtypes():
    x = ff.constant([7, -7])
    assert (x // 2).numpy().tolist() == [3, -4]
    assert (x % 3).numpy().tolist() == [1, 2]
    assert (x ** 2).dtype == ff.int32
    assert (x / 2).dtype == ff.float64
