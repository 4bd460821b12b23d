"""Initializers by name and object: shapes, dtypes, statistics, seeds and configs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fuseflow import keras_api as keras
from fuseflow.keras_api import initializers

SHAPE = (200, 300)
FAN_IN, FAN_OUT = 200, 300


def _values(name_or_obj, shape=SHAPE):
    return np.asarray(initializers.get(name_or_obj)(shape, dtype="float32"))


@pytest.mark.parametrize("name, limit", [
    ("glorot_uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("he_uniform", math.sqrt(6 / FAN_IN)),
    ("lecun_uniform", math.sqrt(3 / FAN_IN)),
])
def test_uniform_scaling_limits(name, limit):
    values = _values(name)
    assert values.dtype == np.float32 and values.shape == SHAPE
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.95 * limit
    np.testing.assert_allclose(values.std(), limit / math.sqrt(3), rtol=0.05)


@pytest.mark.parametrize("name, std", [
    ("glorot_normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("he_normal", math.sqrt(2 / FAN_IN)),
    ("lecun_normal", math.sqrt(1 / FAN_IN)),
])
def test_truncated_normal_scaling_std(name, std):
    values = _values(name)
    np.testing.assert_allclose(values.std(), std, rtol=0.05)
    assert np.abs(values).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_conv_kernel_fans_include_the_receptive_field():
    values = _values("he_uniform", (3, 3, 16, 32))
    assert np.abs(values).max() <= math.sqrt(6 / (3 * 3 * 16))


def test_simple_initializers():
    assert np.all(_values("zeros", (2, 2)) == 0) and np.all(_values("ones", (2,)) == 1)
    np.testing.assert_array_equal(_values(initializers.Constant(3.5), (2,)), [3.5, 3.5])
    np.testing.assert_array_equal(_values("identity", (2, 3)), np.eye(2, 3))
    values = _values(initializers.RandomUniform(-1, 2), (1000,))
    assert values.min() >= -1 and values.max() < 2
    normal = _values(initializers.RandomNormal(1.0, 0.5), (4000,))
    assert abs(normal.mean() - 1.0) < 0.05 and abs(normal.std() - 0.5) < 0.05
    truncated = _values(initializers.TruncatedNormal(0.0, 1.0), (4000,))
    assert np.abs(truncated).max() <= 2.0


def test_orthogonal_rows_or_columns_are_orthonormal():
    q = _values(initializers.Orthogonal(gain=2.0), (6, 4)).astype(np.float64)
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    wide = _values("orthogonal", (3, 5)).astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)


def test_seed_makes_values_repeatable():
    a = _values(initializers.GlorotUniform(seed=3), (4, 4))
    b = _values(initializers.GlorotUniform(seed=3), (4, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, _values(initializers.GlorotUniform(seed=4), (4, 4)))


@pytest.mark.parametrize("init", [initializers.HeNormal(seed=1), initializers.Constant(2.0),
                                  initializers.VarianceScaling(2.0, "fan_out", "uniform")])
def test_config_round_trip(init):
    again = initializers.deserialize(initializers.serialize(init))
    assert type(again) is type(init) and again.get_config() == init.get_config()


def test_unknown_initializer_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_middle")


def test_layers_accept_initializer_names_and_objects():
    dense = keras.layers.Dense(2, kernel_initializer=initializers.Constant(0.5),
                               bias_initializer="ones")
    dense(np.zeros((1, 3), np.float32))
    np.testing.assert_array_equal(dense.kernel.numpy(), np.full((3, 2), 0.5))
    np.testing.assert_array_equal(dense.bias.numpy(), [1, 1])
