"""Subclassed models, including `Model(inputs, self.call(Input(...)))`."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow import keras_api as keras
from fuseflow.keras_api import backend
from fuseflow.keras_api import layers as L


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


class MLP(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [L.Dense(8, activation="relu"), L.Dropout(0.5)]
        self.head = L.Dense(2)

    def call(self, x, training=None):
        for block in self.blocks:
            x = block(x)
        return self.head(x)

    def model(self):
        x = keras.Input(shape=(3,))
        return keras.Model(inputs=[x], outputs=self.call(x))


def test_subclass_tracks_layers_and_builds_with_none_batch():
    net = MLP()
    assert net.name == "mlp" and not net.built
    net.build((None, 3))
    assert net.built and net.count_params() == 3 * 8 + 8 + 8 * 2 + 2
    assert [layer.name for layer in net.layers] == ["dense", "dropout", "dense_1"]
    assert len(net.trainable_variables) == 4


def test_call_on_input_builds_a_functional_model_sharing_weights():
    net = MLP()
    functional = net.model()
    assert [layer.name for layer in functional.layers] == ["input_1", "dense", "dropout",
                                                           "dense_1"]
    data = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(np.asarray(functional(data)), np.asarray(net(data)))
    assert functional.weights[0] is net.weights[0]


def test_training_argument_reaches_dropout():
    net = MLP()
    data = np.ones((64, 3), np.float32)
    np.testing.assert_array_equal(np.asarray(net(data)), np.asarray(net(data)))
    assert not np.allclose(np.asarray(net(data, training=True)),
                           np.asarray(net(data, training=True)))


def test_gradients_of_a_subclassed_model():
    net = MLP()
    with ff.GradientTape() as tape:
        loss = ff.reduce_sum(net(np.ones((2, 3), np.float32)))
    grads = tape.gradient(loss, net.trainable_variables)
    assert [tuple(g.shape) for g in grads] == [(3, 8), (8,), (8, 2), (2,)]


def test_subclass_without_call_raises_and_needs_shape_to_build():
    class Empty(keras.Model):
        pass

    with pytest.raises(NotImplementedError, match="must implement `call`"):
        Empty()(np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="Input shape must be defined"):
        Empty().build(None)
