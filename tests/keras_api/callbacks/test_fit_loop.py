"""The fit loop's side of callbacks: hook order with logs, stop_training, the start epoch."""

from __future__ import annotations

import pytest

from fuseflow.keras_api import callbacks
from tests.keras_api.callbacks.fit_helpers import dense_model, fit


class Sequence(callbacks.Callback):
    """Records (hook, index, sorted log keys) for every hook (aliases included)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _hook(name):  # noqa: N805  (builds methods at class creation)
        if name in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                    "on_predict_begin", "on_predict_end"):
            def method(self, logs=None):
                self.calls.append((name, None, tuple(sorted(logs or {}))))
        else:
            def method(self, index, logs=None):
                self.calls.append((name, index, tuple(sorted(logs or {}))))
                base = getattr(callbacks.Callback, name)
                base(self, index, logs)  # keeps the alias forwarding
        return method

    for _name in [n for n in vars(callbacks.Callback) if n.startswith("on_")]:
        locals()[_name] = _hook(_name)
    del _name


@pytest.mark.parametrize("mode", [{"run_eagerly": True}, {"jit_compile": True}])
def test_hook_sequence_and_log_keys(mode):
    recorder = Sequence()
    fit(dense_model(metrics=["mae"], **mode), epochs=2, callbacks=[recorder])
    train_batch = lambda b: [("on_train_batch_begin", b, ()), ("on_batch_begin", b, ()),
                             ("on_train_batch_end", b, ("loss", "mae")),
                             ("on_batch_end", b, ("loss", "mae"))]
    test = [("on_test_begin", None, ()), ("on_test_batch_begin", 0, ()),
            ("on_test_batch_end", 0, ("loss", "mae")), ("on_test_end", None, ("loss", "mae"))]
    epoch = lambda e: [("on_epoch_begin", e, ()), *train_batch(0), *train_batch(1), *test,
                       ("on_epoch_end", e, ("loss", "mae", "val_loss", "val_mae"))]
    assert recorder.calls == [("on_train_begin", None, ()), *epoch(0), *epoch(1),
                              ("on_train_end", None, ("loss", "mae", "val_loss", "val_mae"))]


def test_stop_training_mid_epoch_finishes_that_epoch_only():
    seen = []

    class StopAtBatch(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((self.params["epochs"], batch))
            if len(seen) == 3:
                self.model.stop_training = True

    history = fit(dense_model(), epochs=5, callbacks=[StopAtBatch()])
    assert seen == [(5, 0), (5, 1), (5, 0)]
    assert history.epoch == [0, 1]
    assert "val_loss" in history.history  # the stopped epoch still validates and logs


def test_stop_training_at_epoch_end():
    stopper = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(
        model, "stop_training", epoch == 1))
    model = dense_model()
    assert fit(model, epochs=5, callbacks=[stopper]).epoch == [0, 1]
    assert fit(model, epochs=2).epoch == [0, 1]  # the next fit starts afresh


def test_initial_epoch_and_a_callback_moving_the_start():
    assert fit(dense_model(), epochs=3, initial_epoch=1).epoch == [1, 2]

    class Resume(callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.model._initial_epoch = 2

    model = dense_model()
    assert fit(model, epochs=4, callbacks=[Resume()]).epoch == [2, 3]
    assert fit(model, epochs=2).epoch == [0, 1]  # not carried over to the next fit
