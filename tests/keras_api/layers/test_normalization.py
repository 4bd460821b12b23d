"""BatchNormalization: batch statistics in training, moving statistics otherwise."""

from __future__ import annotations

import numpy as np

from fuseflow import keras_api as keras
from fuseflow.keras_api import layers as L


def test_batch_norm_defaults_match_keras():
    bn = L.BatchNormalization()
    assert (bn.momentum, bn.epsilon, bn.axis) == (0.99, 1e-3, -1)


def test_training_uses_batch_statistics_and_moves_the_moving_ones():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3)).astype(np.float32) * 2 + 1
    bn = L.BatchNormalization(momentum=0.9)
    out = np.asarray(bn(x, training=True))
    mean, var = x.astype(np.float64).mean(0), x.astype(np.float64).var(0)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    assert [w.name.split("/")[-1] for w in bn.non_trainable_weights] == [
        "moving_mean:0", "moving_variance:0"]


def test_inference_and_frozen_layer_leave_the_moving_statistics_alone():
    x = np.random.default_rng(1).standard_normal((4, 2, 2, 3)).astype(np.float32)
    bn = L.BatchNormalization()
    bn(x, training=False)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    bn.trainable = False
    out = np.asarray(bn(x, training=True))  # a frozen layer runs in inference mode
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_model_training_flag_reaches_batch_norm_inside_sequential():
    model = keras.Sequential([L.Dense(2, input_dim=2), L.BatchNormalization()])
    x = np.ones((4, 2), np.float32) * np.arange(4, dtype=np.float32)[:, None]
    model(x, training=True)
    assert np.any(model.layers[1].moving_mean.numpy() != 0)


def test_batch_norm_on_channels_axis_1():
    x = np.random.default_rng(2).standard_normal((4, 3, 2)).astype(np.float32)
    bn = L.BatchNormalization(axis=1)
    out = np.asarray(bn(x, training=True))
    mean = x.mean((0, 2), keepdims=True)
    var = x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    assert bn.count_params() == 12
