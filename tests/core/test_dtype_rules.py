"""TF's dtype rules for mixed operands, and TF's text for tensors, variables and dtypes."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.errors import InvalidArgumentError


def test_python_float_with_int_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="1.5"):
        ff.constant(1) + 1.5
    with pytest.raises(TypeError):
        1.5 * ff.constant([1, 2])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int32", "int64",
                                   "uint8"])
def test_python_scalars_adopt_the_tensor_dtype(dtype):
    x = ff.constant([1, 2], dtype=dtype)
    for result in (x + 1, 2 * x, x - 1, x ** 2, x // 2, x % 2, ff.maximum(x, 1)):
        assert result.dtype == ff.as_dtype(dtype)
    if ff.as_dtype(dtype).is_floating:
        assert (x * 0.5).dtype == ff.as_dtype(dtype)


def test_python_bool_scalars_adopt_bool_tensors():
    assert (ff.constant([True, False]) & True).dtype == ff.bool


@pytest.mark.parametrize("flip", [False, True])
def test_float64_numpy_array_with_float32_tensor_gives_float32(flip):
    x, wide = ff.constant([1.0, 2.0]), np.array([0.5, 0.25])
    result = wide + x if flip else x + wide
    assert result.dtype == ff.float32
    np.testing.assert_allclose(result.numpy(), [1.5, 2.25])


def test_integer_numpy_array_with_float_tensor_is_a_type_error():
    with pytest.raises(TypeError):
        ff.constant([1.0, 2.0]) + np.array([1, 2])


def test_mixed_tensor_dtypes_name_the_op_both_dtypes_and_the_callers_line():
    a, b = ff.constant([1, 2]), ff.constant([1.0, 2.0])
    line = sys._getframe().f_lineno + 2
    with pytest.raises(InvalidArgumentError) as info:
        a + b
    text = str(info.value)
    assert info.value.op == "add"
    assert "int32" in text and "float32" in text
    assert f"{__file__}:{line}" in text


def test_integer_true_division_gives_float64_like_tf():
    assert (ff.constant([3]) / ff.constant([2])).dtype == ff.float64
    assert (ff.constant([3]) / 2).numpy().tolist() == [1.5]


# -- text --------------------------------------------------------------------------------------

def test_tensor_str_and_repr_read_as_tf_prints_them():
    assert str(ff.constant(3)) == "tf.Tensor(3, shape=(), dtype=int32)"
    assert repr(ff.constant(3)) == "<tf.Tensor: shape=(), dtype=int32, numpy=3>"
    assert str(ff.constant(1.5)) == "tf.Tensor(1.5, shape=(), dtype=float32)"
    assert repr(ff.constant(True)) == "<tf.Tensor: shape=(), dtype=bool, numpy=True>"
    assert str(ff.constant([1.0, 2.0])) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert repr(ff.constant([1.0, 2.0])) == (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>")
    assert repr(ff.constant(3, dtype=ff.int64)) == "<tf.Tensor: shape=(), dtype=int64, numpy=3>"


def test_multiline_tensor_and_variable_text_starts_on_a_new_line():
    x = ff.constant([[1, 2], [3, 4]])
    assert str(x) == "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)"
    assert repr(x) == ("<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n"
                       "array([[1, 2],\n       [3, 4]], dtype=int32)>")
    v = ff.Variable([[1.0, 2.0], [3.0, 4.0]], name="multiline_text")
    assert repr(v) == ("<tf.Variable 'multiline_text:0' shape=(2, 2) dtype=float32, numpy=\n"
                       "array([[1., 2.],\n       [3., 4.]], dtype=float32)>")


def test_string_tensor_text_shows_bytes():
    assert str(ff.constant("hi")) == "tf.Tensor(b'hi', shape=(), dtype=string)"


def test_variable_repr_reads_as_tf_prints_it():
    v = ff.Variable([1.0, 2.0])
    assert re.fullmatch(r"<tf\.Variable 'Variable(_\d+)?:0' shape=\(2,\) dtype=float32, "
                        r"numpy=array\(\[1\., 2\.\], dtype=float32\)>", repr(v))
    named = ff.Variable(3, name="dtype_rules_scalar")
    assert repr(named) == "<tf.Variable 'dtype_rules_scalar:0' shape=() dtype=int32, numpy=3>"


def test_dtype_text_reads_as_tf_prints_it():
    assert str(ff.float32) == "<dtype: 'float32'>"
    assert repr(ff.int64) == "tf.int64"
    assert ff.float32 == "float32" and ff.float32 == np.float32
    assert str(ff.TensorShape([2, None])) == "(2, None)"
