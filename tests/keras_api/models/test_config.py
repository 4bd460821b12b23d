"""Model configs, JSON, cloning and plot_model."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow import keras_api as keras
from fuseflow.keras_api import backend
from fuseflow.keras_api import layers as L
from fuseflow.keras_api.layers.serialization import custom_object_scope


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


def _functional():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    shared = L.Dense(2, name="shared")
    h = L.concatenate([shared(L.Dense(2, name="pre")(a)), shared(b)], name="cat")
    return keras.Model([a, b], [L.Dense(1, name="y")(h), h], name="net")


def _same_outputs(m1, m2, data):
    for x, y in zip(m1(data), m2(data)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6)


def test_functional_config_round_trip_keeps_structure_and_numbers():
    model = _functional()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["y", 0, 0], ["cat", 0, 0]]
    shared = next(c for c in config["layers"] if c["name"] == "shared")
    assert [[n[:3] for n in node] for node in shared["inbound_nodes"]] == [
        [["pre", 0, 0]], [["b", 0, 0]]]
    rebuilt = keras.Model.from_config(config)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    data = [np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)]
    _same_outputs(model, rebuilt, data)


def test_json_round_trip():
    model = keras.Sequential([L.Dense(3, activation="relu", input_dim=4), L.Dense(1)])
    rebuilt = keras.models.model_from_json(model.to_json())
    assert type(rebuilt).__name__ == "Sequential"
    assert rebuilt.count_params() == model.count_params()
    assert rebuilt.layers[0].get_config()["activation"] == "relu"


def test_clone_model_copies_architecture_with_new_weights():
    model = _functional()
    clone = keras.models.clone_model(model)
    assert clone.count_params() == model.count_params()
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    clone.set_weights(model.get_weights())
    data = [np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)]
    _same_outputs(model, clone, data)
    seq = keras.Sequential([L.Dense(2, input_dim=3)])
    assert keras.models.clone_model(seq).count_params() == 8


def test_custom_layers_deserialize_through_custom_objects():
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = keras.Sequential([Scale(3.0, input_shape=(2,))])
    with pytest.raises(ValueError, match="Unknown layer: 'Scale'"):
        keras.Sequential.from_config(model.get_config())
    with custom_object_scope({"Scale": Scale}):
        rebuilt = keras.Sequential.from_config(model.get_config())
    np.testing.assert_allclose(np.asarray(rebuilt(np.ones((1, 2), np.float32))), 3.0)


def test_plot_model_writes_dot_text(tmp_path):
    model = _functional()
    text = keras.models.plot_model(model, to_file=str(tmp_path / "net.dot"), show_shapes=True)
    assert (tmp_path / "net.dot").read_text() == text
    assert text.startswith("digraph G {")
    assert "shared: Dense" in text and "(None, 2)" in text
    assert text.count("->") == 6  # a->pre, pre->shared, b->shared, shared->cat x2, cat->y
