"""The Layer base class: naming, tracking, trainable, weights, losses, training flag, config."""

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


class ConvModule(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = L.Conv2D(2, 3)
        self.blocks = [L.Dense(3), {"norm": L.BatchNormalization()}]
        self.scale = ff.Variable(2.0)

    def call(self, x, training=None):
        return self.blocks[1]["norm"](self.blocks[0](L.Flatten()(self.conv(x))),
                                      training=training) * self.scale


def test_automatic_names_count_per_class_and_snake_case_user_classes():
    assert [L.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert L.Conv2D(1, 1).name == "conv2d"
    assert L.BatchNormalization().name == "batch_normalization"
    assert [ConvModule().name for _ in range(4)][-1] == "conv_module_3"
    assert L.Dense(1, name="head").name == "head"
    assert keras.Input((2,)).name == "input_1"


def test_nested_layers_and_variables_are_tracked_in_attributes_lists_and_dicts():
    module = ConvModule()
    module(np.ones((2, 5, 5, 1), np.float32), training=True)
    dense, norm = module.blocks[0], module.blocks[1]["norm"]
    assert module.weights == [module.scale, module.conv.kernel, module.conv.bias, dense.kernel,
                              dense.bias, norm.gamma, norm.beta, norm.moving_mean,
                              norm.moving_variance]
    assert len(module.trainable_weights) == 7
    assert len(module.non_trainable_weights) == 2
    assert module.variables == module.weights


def test_list_appended_after_assignment_is_still_tracked():
    layer = L.Layer()
    layer.items = []
    dense = L.Dense(2)
    layer.items.append(dense)
    dense(np.ones((1, 3), np.float32))
    assert layer.weights == dense.weights


def test_setting_trainable_false_moves_nested_weights_to_non_trainable():
    module = ConvModule()
    module(np.ones((1, 5, 5, 1), np.float32))
    module.trainable = False
    assert module.trainable_weights == []
    assert len(module.non_trainable_weights) == 9
    assert not module.conv.trainable
    module.blocks[0].trainable = True
    assert module.trainable_weights == []  # the parent is still frozen
    module.trainable = True
    assert len(module.trainable_weights) == 7


def test_layer_builds_lazily_on_first_call():
    dense = L.Dense(4)
    assert not dense.built and dense.weights == []
    dense(np.ones((2, 3), np.float32))
    assert dense.built
    assert [tuple(w.shape) for w in dense.weights] == [(3, 4), (4,)]
    assert dense.kernel.name.startswith("dense/kernel")


def test_get_set_weights_round_trip_and_mismatch_errors():
    dense = L.Dense(2)
    dense(np.ones((1, 3), np.float32))
    values = [np.full((3, 2), 0.5, np.float32), np.array([1.0, -1.0], np.float32)]
    dense.set_weights(values)
    for got, want in zip(dense.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="expecting 2 weights"):
        dense.set_weights(values[:1])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 2\)"):
        dense.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_count_params_on_an_unbuilt_layer_names_it():
    with pytest.raises(ValueError, match="dense.*isn't built"):
        L.Dense(2).count_params()


def test_regularizer_losses_and_add_loss_reset_on_each_call():
    class Penalized(L.Layer):
        def call(self, x):
            self.add_loss(ff.reduce_sum(x))
            return x

    dense = L.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1),
                    kernel_initializer="ones")
    outer = keras.Sequential([Penalized(), dense])
    outer(np.ones((1, 3), np.float32))
    losses = [float(v) for v in outer.losses]
    assert losses == pytest.approx([3.0, 0.1 * 6])
    outer(np.full((1, 3), 2.0, np.float32))
    assert [float(v) for v in outer.losses] == pytest.approx([6.0, 0.6])


def test_training_flag_propagates_to_sublayers_called_without_it():
    seen = []

    class Probe(L.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, x):
            return self.probe(x)

    model = keras.Sequential([Outer()])
    x = np.ones((1, 2), np.float32)
    model(x, training=True)
    model(x, training=False)
    model.layers[0].probe(x, training=True)
    assert seen[-3:] == [True, False, True]


def test_input_shape_and_input_dim_on_first_layer_define_the_model_input():
    a = keras.Sequential([L.Dense(2, input_shape=(5,))])
    b = keras.Sequential([L.Dense(2, input_dim=5)])
    assert a.built and b.built
    assert a.inputs[0].shape.as_list() == b.inputs[0].shape.as_list() == [None, 5]


def test_calling_with_a_different_rank_or_size_names_layer_and_shapes():
    dense = L.Dense(2)
    dense(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r'layer "dense".*value 3.*\(2, 4\)'):
        dense(np.ones((2, 4), np.float32))
    conv = L.Conv2D(1, 1)
    with pytest.raises(ValueError, match=r'"conv2d".*min_ndim=4, found ndim=3'):
        conv(np.ones((2, 3, 3), np.float32))


def test_unknown_identifiers_and_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="Unknown activation function: 'relux'"):
        L.Dense(2, activation="relux")
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'"):
        L.Dense(2, kernel_initializer="glorot")
    with pytest.raises(ValueError, match="units=0"):
        L.Dense(0)
    with pytest.raises(TypeError, match="not understood.*'unitz'"):
        L.Dense(2, unitz=3)


def test_custom_layer_with_init_args_must_override_get_config():
    class Scaled(L.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

    with pytest.raises(NotImplementedError, match=r"\['factor'\]"):
        Scaled(2.0).get_config()
    assert L.Layer(name="plain").get_config() == {"name": "plain", "trainable": True,
                                                  "dtype": "float32"}


def test_layer_dtype_casts_floating_inputs():
    dense = L.Dense(2, dtype="float64")
    out = dense(np.ones((1, 3), np.float32))
    assert out.dtype == ff.float64 and dense.kernel.dtype == ff.float64
