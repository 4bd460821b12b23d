"""Functional models: graphs of layers built on Input() tensors."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow import keras_api as keras
from fuseflow.keras_api import backend
from fuseflow.keras_api import layers as L
from fuseflow.keras_api.layers.keras_tensor import KerasTensor


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


def test_input_is_symbolic_with_none_batch():
    x = keras.Input(shape=(28, 28), name="img", dtype="int32")
    assert isinstance(x, KerasTensor)
    assert x.shape.as_list() == [None, 28, 28] and x.dtype == ff.int32
    assert keras.Input(shape=(3,), batch_size=8).shape.as_list() == [8, 3]
    assert "created by layer 'img'" in repr(x)
    with pytest.raises(TypeError, match="symbolic"):
        x.numpy()
    with pytest.raises(ValueError, match="`shape`"):
        keras.Input()


def test_single_input_model_runs_like_its_layers():
    x = keras.Input((4,))
    hidden = L.Dense(3, activation="relu")
    out = L.Dense(2)
    model = keras.Model(x, out(hidden(x)))
    assert type(model).__name__ == "Functional" and model.name == "model"
    data = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(data)), np.asarray(out(hidden(data))),
                               rtol=1e-6)
    assert model.output_shape == (None, 2) and model.input_shape == (None, 4)
    assert [layer.name for layer in model.layers] == ["input_1", "dense", "dense_1"]


def test_multiple_inputs_and_outputs_as_lists_and_dicts():
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    joined = L.concatenate([a, b])
    model = keras.Model({"a": a, "b": b}, {"sum": L.Dense(1)(joined), "vec": joined})
    data = {"a": np.ones((2, 2), np.float32), "b": np.zeros((2, 3), np.float32)}
    result = model(data)
    assert set(result) == {"sum", "vec"}
    np.testing.assert_array_equal(np.asarray(result["vec"]), [[1, 1, 0, 0, 0]] * 2)
    listed = keras.Model([a, b], [joined, L.Dense(2)(joined)])
    outs = listed([data["a"], data["b"]])
    assert [tuple(o.shape) for o in outs] == [(2, 5), (2, 2)]
    by_name = listed({"a": data["a"], "b": data["b"]})
    np.testing.assert_array_equal(np.asarray(by_name[0]), np.asarray(outs[0]))


def test_shared_layer_uses_one_set_of_weights():
    a, b = keras.Input((3,)), keras.Input((3,))
    shared = L.Dense(2, name="shared")
    model = keras.Model([a, b], L.subtract([shared(a), shared(b)]))
    assert len(model.weights) == 2 and len(shared._inbound_nodes) == 2
    same = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(np.asarray(model([same, same])), 0.0)


def test_nested_model_is_a_layer_and_shares_its_weights():
    x = keras.Input((3,))
    encoder = keras.Model(x, L.Dense(2, name="code")(x), name="encoder")
    y = keras.Input((3,))
    outer = keras.Model(y, L.Dense(1)(encoder(y)))
    assert outer.layers[1] is encoder
    assert encoder.weights[0] is outer.weights[0]
    data = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(np.asarray(outer(data)),
                               np.asarray(outer.layers[2](encoder(data))), rtol=1e-6)
    assert outer.count_params() == 8 + 3


def test_get_layer_by_name_and_index():
    x = keras.Input((2,), name="in")
    model = keras.Model(x, L.Dense(1, name="out")(x))
    assert model.get_layer("out") is model.layers[1] is model.get_layer(index=1)
    with pytest.raises(ValueError, match="No such layer: nope.*'in', 'out'"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 5 but model only has 2 layers"):
        model.get_layer(index=5)


def test_wrong_input_shape_names_model_and_shapes():
    x = keras.Input((784,))
    model = keras.Model(x, L.Dense(2)(x), name="mlp")
    with pytest.raises(ValueError, match=r'layer "mlp".*expected shape=\(None, 784\), found '
                                         r'shape=\(32, 10\)'):
        model(np.ones((32, 10), np.float32))
    with pytest.raises(ValueError, match="expects 1 input"):
        model([np.ones((2, 784)), np.ones((2, 784))])


def test_disconnected_graph_and_non_input_tensors_are_rejected():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = L.add([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)
    with pytest.raises(ValueError, match="must come from `Input"):
        keras.Model(L.Dense(2)(a), out)


def test_layer_shape_errors_surface_while_building_the_graph():
    a = keras.Input((2, 3))
    with pytest.raises(ValueError, match="Concatenate.*matching shapes"):
        L.Concatenate(axis=1)([a, keras.Input((3, 4))])


def test_symbolic_inputs_give_model_gradient_through_training_call():
    x = keras.Input((3,))
    model = keras.Model(x, L.Dropout(0.5)(L.Dense(4)(x)))
    data = np.ones((8, 3), np.float32)
    with ff.GradientTape() as tape:
        loss = ff.reduce_sum(model(data, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in grads) and len(grads) == 2
    np.testing.assert_allclose(np.asarray(model(data)), np.asarray(model(data)))


def test_python_operators_on_keras_tensors_record_op_layers():
    x = keras.Input((3,))
    y = -(2.0 * (x * 2.0 + 1.0)[:, :2])
    model = keras.Model(x, y)
    assert [type(layer).__name__ for layer in model.layers[1:]] == ["TFOpLambda"] * 5
    assert model.layers[1].name == "tf.math.multiply"
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(model(data)), -2 * (data * 2 + 1)[:, :2])
    lam = L.Lambda(lambda t: t * 3.0)
    assert tuple(lam(x).shape) == (None, 3)
    assert not any(layer.name.startswith("tf.math.multiply_1") for layer in
                   keras.Model(x, lam(x)).layers)
