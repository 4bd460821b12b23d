"""Callback hooks: order, logs, params, the on_batch_* aliases, History."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.keras_api import callbacks
from tests.keras_api.training.tiny_model import TinyModel, classification_data


class Recorder(callbacks.Callback):
    """Records every hook call as (hook, index, sorted log keys)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("on_") and callable(attr):
            def record(*args, logs=None, **kwargs):
                index = args[0] if args else None
                self.calls.append((name, index, tuple(sorted(logs or {}))))
                return attr(*args, logs=logs, **kwargs)
            return record
        return attr


def _model():
    model = TinyModel(activation="softmax")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=True)
    return model


def test_fit_calls_hooks_in_keras_order_with_logs():
    recorder = Recorder()
    x, y = classification_data(20)
    _model().fit(x, y, batch_size=10, epochs=2, verbose=0, validation_data=(x[:10], y[:10]),
                 callbacks=[recorder])
    names = [c[0] for c in recorder.calls]
    metric_keys = ("accuracy", "loss")
    epoch = ["on_epoch_begin", "on_train_batch_begin", "on_batch_begin", "on_train_batch_end",
             "on_batch_end", "on_train_batch_begin", "on_batch_begin", "on_train_batch_end",
             "on_batch_end", "on_test_begin", "on_test_batch_begin", "on_test_batch_end",
             "on_test_end", "on_epoch_end"]
    assert names == ["on_train_begin", *epoch, *epoch, "on_train_end"]
    ends = [c for c in recorder.calls if c[0] == "on_train_batch_end"]
    assert [c[1] for c in ends] == [0, 1, 0, 1]
    assert all(c[2] == metric_keys for c in ends)
    epoch_end = [c for c in recorder.calls if c[0] == "on_epoch_end"]
    assert [c[1] for c in epoch_end] == [0, 1]
    assert epoch_end[0][2] == ("accuracy", "loss", "val_accuracy", "val_loss")
    assert recorder.calls[-1][2] == epoch_end[-1][2]  # on_train_end gets the last epoch's logs


def test_params_and_model_are_set():
    recorder = Recorder()
    model = _model()
    x, y = classification_data(20)
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[recorder])
    assert recorder.model is model
    assert recorder.params == {"verbose": 0, "epochs": 3, "steps": 3}


def test_evaluate_and_predict_hooks():
    recorder = Recorder()
    model = _model()
    x, y = classification_data(12)
    model.evaluate(x, y, batch_size=6, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=6, verbose=0, callbacks=[recorder])
    names = [c[0] for c in recorder.calls]
    assert names == ["on_test_begin", "on_test_batch_begin", "on_test_batch_end",
                     "on_test_batch_begin", "on_test_batch_end", "on_test_end",
                     "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                     "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"]
    assert recorder.calls[2][2] == ("accuracy", "loss")
    assert recorder.calls[8][2] == ("outputs",)


def test_batch_aliases_receive_train_batches():
    seen = []

    class Legacy(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, round(logs["loss"], 6)))

    x, y = classification_data(16)
    _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Legacy()])
    assert [b for b, _ in seen] == [0, 1]


def test_history_collects_epoch_logs():
    x, y = classification_data(16)
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert isinstance(history, callbacks.History)
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["loss", "accuracy"]
    assert model.history is history


def test_callback_list_dispatch():
    recorder = Recorder()
    cbs = callbacks.CallbackList([recorder], add_history=True, add_progbar=True, model="m",
                                 epochs=1)
    assert isinstance(cbs.callbacks[0], callbacks.ProgbarLogger)
    assert isinstance(cbs.callbacks[-1], callbacks.History)
    assert recorder.model == "m" and recorder.params == {"epochs": 1}
    cbs.on_predict_batch_end(3, {"outputs": 1})
    assert recorder.calls == [("on_predict_batch_end", 3, ("outputs",))]


def test_empty_training_data_is_an_error():
    model = _model()
    with pytest.raises(ValueError, match="no batches"):
        model.fit(iter([]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="0 samples"):
        model.fit(np.zeros((0, 4), np.float32), np.zeros(0), verbose=0)
