"""compile(): lookups, 'accuracy' resolution, and the errors Keras users meet."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import losses, metrics, optimizers
from fuseflow.keras_api.training.trainer import NotCompiledError
from tests.keras_api.training.tiny_model import TinyModel, classification_data


def test_fit_before_compile_names_compile():
    x, y = classification_data(8)
    model = TinyModel()
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.train_on_batch(x, y)):
        with pytest.raises(ValueError, match=r"compile") as info:
            call()
        assert isinstance(info.value, NotCompiledError | RuntimeError)


@pytest.mark.parametrize("kwargs,argument,value", [
    ({"optimizer": "adamm", "loss": "mse"}, "optimizer", "'adamm'"),
    ({"optimizer": "sgd", "loss": "msee"}, "loss", "'msee'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]}, "metrics", "'acuracy'"),
])
def test_unknown_identifiers_name_argument_and_value(kwargs, argument, value):
    with pytest.raises(ValueError, match=argument) as info:
        TinyModel().compile(**kwargs)
    assert value in str(info.value)


def test_unknown_compile_keyword():
    with pytest.raises(TypeError, match="optimiser"):
        TinyModel().compile(optimiser="sgd")


@pytest.mark.parametrize("mode", [{"run_eagerly": True}, {"jit_compile": False}])
def test_label_shape_mismatch_is_a_value_error_with_shapes(mode):
    model = TinyModel()
    model.compile("sgd", "mse", **mode)
    x = np.zeros((8, 4), np.float32)
    with pytest.raises(ValueError, match=r"incompatible shapes.*\((8|None), 2\).*\((8|None), 3\)"):
        model.fit(x, np.zeros((8, 2), np.float32), verbose=0)
    model = TinyModel()
    model.compile("sgd", "categorical_crossentropy", **mode)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(x, np.zeros(8, np.int64), verbose=0)


def test_missing_targets():
    model = TinyModel()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="Target data is missing"):
        model.fit(np.zeros((4, 4), np.float32), verbose=0)


def _shape_free_loss(y_true, y_pred):
    """A loss that ignores the labels, so only their shape can pick the accuracy."""
    return ff.reduce_mean(y_pred, axis=-1)


def _accuracy_fn(loss, y, units=3):
    model = TinyModel(n_out=units, activation="softmax")
    model.compile("sgd", loss, metrics=["accuracy"], run_eagerly=True)
    model.evaluate(np.zeros((4, 4), np.float32), y, verbose=0)
    (metric,) = model.compiled_metrics.metrics
    return metric.name, metric._fn


@pytest.mark.parametrize("loss,y,units,expected", [
    ("sparse_categorical_crossentropy", np.zeros(4, np.int64), 3,
     metrics.sparse_categorical_accuracy),
    ("categorical_crossentropy", np.eye(3)[[0, 1, 2, 0]], 3, metrics.categorical_accuracy),
    ("binary_crossentropy", np.zeros((4, 3)), 3, metrics.binary_accuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), np.zeros((4, 1)), 3,
     metrics.sparse_categorical_accuracy),
    (_shape_free_loss, np.zeros((4, 1)), 1, metrics.binary_accuracy),
    (_shape_free_loss, np.zeros(4), 3, metrics.sparse_categorical_accuracy),
    (_shape_free_loss, np.zeros((4, 1)), 3, metrics.sparse_categorical_accuracy),
    (_shape_free_loss, np.zeros((4, 3)), 3, metrics.categorical_accuracy),
])
def test_accuracy_is_resolved_by_loss_then_label_shape(loss, y, units, expected):
    name, fn = _accuracy_fn(loss, y, units)
    assert name == "accuracy" and fn is expected


def test_metric_objects_functions_and_names():
    model = TinyModel(activation="softmax")
    model.compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(),
                  metrics=["acc", metrics.SparseTopKCategoricalAccuracy(k=2),
                           metrics.sparse_categorical_accuracy],
                  weighted_metrics=["acc"], run_eagerly=True)
    x, y = classification_data(8)
    logs = model.evaluate(x, y, verbose=0, sample_weight=np.ones(8), return_dict=True)
    assert list(logs) == ["loss", "acc", "sparse_top_k_categorical_accuracy",
                          "sparse_categorical_accuracy", "weighted_acc"]
    assert logs["acc"] == logs["sparse_categorical_accuracy"] == logs["weighted_acc"]


def test_recompile_resets_the_step_functions():
    model = TinyModel(activation="softmax")
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=False)
    x, y = classification_data(8)
    model.fit(x, y, verbose=0)
    first = model.train_function
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=False)
    assert model.train_function is None
    model.fit(x, y, verbose=0)
    assert model.train_function is not first
    assert model.get_compile_config()["loss"] == "sparse_categorical_crossentropy"
