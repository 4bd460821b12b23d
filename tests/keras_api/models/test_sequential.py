"""Sequential models: lists, add/pop, Input layers, lazy builds, shared layers."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow import keras_api as keras
from fuseflow.keras_api import backend
from fuseflow.keras_api import layers as L


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


def test_add_input_then_layers_builds_the_graph():
    model = keras.Sequential()
    model.add(keras.Input(shape=(5,)))
    model.add(L.Dense(3))
    model.add(L.Dense(2))
    assert model.built and model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    model.pop()
    assert model.output_shape == (None, 3) and len(model.layers) == 1


def test_unbuilt_model_builds_on_first_call_with_none_batch():
    model = keras.Sequential([L.Dense(4), L.Dense(1)])
    assert not model.built and model.weights == []
    model(np.ones((3, 6), np.float32))
    assert model.built and model.inputs[0].shape.as_list() == [None, 6]
    assert model.count_params() == 6 * 4 + 4 + 5


def test_build_with_input_shape():
    model = keras.Sequential([L.Dense(4)])
    model.build((None, 3))
    assert model.count_params() == 16
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\)"):
        model(np.ones((2, 5), np.float32))


def test_layers_shared_with_another_model_share_weights():
    first = keras.Sequential([L.Dense(3, input_dim=2), L.Dense(1)])
    second = keras.Sequential([first.layers[0], L.Dense(2)])
    second(np.ones((1, 2), np.float32))
    assert second.layers[0].kernel is first.layers[0].kernel
    assert second.count_params() == 9 + 8


def test_get_weights_follow_layer_order_including_moving_statistics():
    model = keras.Sequential([L.Dense(2, input_dim=3), L.BatchNormalization(), L.Dense(1)])
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 2), (2,), (2,), (2,), (2,), (2,), (2, 1), (1,)]
    new = [np.full(s, i, np.float32) for i, s in enumerate(shapes)]
    model.set_weights(new)
    assert [float(w.flat[0]) for w in model.get_weights()] == list(range(8))


def test_bad_additions_are_rejected():
    model = keras.Sequential([L.Dense(2, name="d")])
    with pytest.raises(TypeError, match="instance of class Layer"):
        model.add("relu")
    with pytest.raises(ValueError, match='unique names.*"d"'):
        model.add(L.Dense(2, name="d"))
    with pytest.raises(TypeError, match="no layers"):
        keras.Sequential().pop()
