"""EarlyStopping, ReduceLROnPlateau and LearningRateScheduler on a tiny fit."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import callbacks
from tests.keras_api.callbacks.fit_helpers import Scripted, dense_model, fit


def _lr(model) -> float:
    return float(model.optimizer.learning_rate.numpy())


# Keras counts the epoch without improvement before comparing with `patience`.
@pytest.mark.parametrize("patience,values,epochs_run", [
    (0, [5, 4, 6, 1, 1, 1, 1], 3),
    (1, [5, 4, 6, 1, 1, 1, 1], 3),
    (2, [5, 4, 6, 3, 7, 8, 1], 6),  # the improvement at epoch 3 restarts the wait
    (2, [5, 5, 5, 5, 5, 5, 5], 3),
    (3, [5, 4, 3, 2, 1, 0, -1], 7),
])
def test_early_stopping_patience(patience, values, epochs_run):
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    history = fit(dense_model(), epochs=7, callbacks=[Scripted("val_loss", values), stopper])
    assert len(history.epoch) == epochs_run
    assert stopper.stopped_epoch == (epochs_run - 1 if epochs_run < 7 else 0)


def test_early_stopping_mode_max_and_min_delta():
    stopper = callbacks.EarlyStopping(monitor="val_score", mode="max", min_delta=0.5)
    history = fit(dense_model(), epochs=5, callbacks=[
        Scripted("val_score", [1.0, 2.0, 2.4, 9.0, 9.0]), stopper])
    assert history.epoch == [0, 1, 2]  # +0.4 is below min_delta
    assert stopper.best == 2.0


@pytest.mark.parametrize("baseline,epochs_run", [(None, 3), (1.0, 2), (6.0, 3)])
def test_early_stopping_baseline_must_be_beaten(baseline, epochs_run):
    # The first epoch restarts the wait only when it beats the baseline.
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, baseline=baseline)
    history = fit(dense_model(), epochs=6, callbacks=[Scripted("val_loss", [5] * 6), stopper])
    assert len(history.epoch) == epochs_run


def test_early_stopping_restores_best_weights():
    snapshots = []
    model = dense_model()
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=1,
                                      restore_best_weights=True)
    history = fit(model, epochs=5, callbacks=[Scripted("val_loss", [3, 1, 2, 2, 0]), stopper,
                                              record])
    assert history.epoch == [0, 1, 2]
    assert stopper.best_epoch == 1
    for got, want in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(snapshots[1][0], snapshots[2][0])


def test_early_stopping_without_restore_keeps_last_weights():
    model = dense_model()
    last = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: last.append(
        model.get_weights()))
    fit(model, epochs=5, callbacks=[Scripted("val_loss", [3, 1, 2, 2, 0]),
                                    callbacks.EarlyStopping(patience=1), record])
    np.testing.assert_array_equal(model.get_weights()[0], last[-1][0])


def test_early_stopping_missing_metric_warns_and_trains_on():
    with pytest.warns(UserWarning, match="val_nope"):
        history = fit(dense_model(), callbacks=[callbacks.EarlyStopping(monitor="val_nope")])
    assert len(history.epoch) == 3


def test_early_stopping_start_from_epoch():
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=0, start_from_epoch=3)
    history = fit(dense_model(), epochs=6, callbacks=[
        Scripted("val_loss", [1, 2, 3, 4, 5, 6]), stopper])
    assert history.epoch == [0, 1, 2, 3, 4]


def test_reduce_lr_on_plateau_changes_optimizer_learning_rate():
    model = dense_model(lr=0.1)
    reduce = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                         min_lr=0.03)
    rates = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: rates.append(_lr(model)))
    history = fit(model, epochs=5, callbacks=[Scripted("val_loss", [1, 1, 1, 1, 1]), reduce,
                                              record])
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.03, 0.03, 0.03], rtol=1e-6)
    # the learning rate of each epoch (before any reduction) goes into the logs
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.05, 0.03, 0.03],
                               rtol=1e-6)


def test_reduced_learning_rate_reaches_the_compiled_step():
    x = np.ones((8, 4), np.float32)
    y = np.zeros((8, 2), np.float32)
    updates = {}
    for factor in (None, 0.5):
        model = dense_model(lr=0.1)
        cbs = [Scripted("val_loss", [1, 1]), callbacks.ReduceLROnPlateau(
            factor=factor, patience=0)] if factor else []  # reduces after the 2nd epoch
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=cbs)
        before = model.get_weights()[1]
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        updates[factor] = model.get_weights()[1] - before
    np.testing.assert_allclose(updates[0.5], updates[None] * 0.5, rtol=1e-4)


def test_reduce_lr_cooldown():
    model = dense_model(lr=1.0)
    reduce = callbacks.ReduceLROnPlateau(monitor="loss_x", factor=0.5, patience=0,
                                         cooldown=2)
    rates = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: rates.append(_lr(model)))
    fit(model, epochs=6, callbacks=[Scripted("loss_x", [1] * 6), reduce, record])
    np.testing.assert_allclose(rates, [1.0, 0.5, 0.5, 0.25, 0.25, 0.125])


def test_reduce_lr_rejects_factor_of_one():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


@pytest.mark.parametrize("schedule,expected", [
    (lambda epoch: 0.1 / (epoch + 1), [0.1, 0.05, 0.1 / 3]),
    (lambda epoch, lr: lr * 0.5, [0.025, 0.0125, 0.00625]),
    (lambda epoch, lr: ff.constant(lr) * ff.math.exp(-1.0), [0.05 * np.exp(-k) for k in
                                                             (1, 2, 3)]),
])
def test_learning_rate_scheduler(schedule, expected):
    model = dense_model(lr=0.05)
    rates = []
    record = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: rates.append(_lr(model)))
    history = fit(model, callbacks=[callbacks.LearningRateScheduler(schedule), record])
    np.testing.assert_allclose(rates, expected, rtol=1e-5)
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-5)


def test_learning_rate_scheduler_rejects_non_float():
    with pytest.raises(ValueError, match="should be a float"):
        fit(dense_model(), callbacks=[callbacks.LearningRateScheduler(lambda epoch: "fast")])
    with pytest.raises(ValueError, match="should be a float"):
        fit(dense_model(), callbacks=[callbacks.LearningRateScheduler(lambda epoch: 1)])


def test_verbose_messages(capsys):
    stopper = callbacks.EarlyStopping(patience=0, restore_best_weights=True, verbose=1)
    reduce = callbacks.ReduceLROnPlateau(patience=0, factor=0.5, verbose=1)
    fit(dense_model(lr=0.1), epochs=3, callbacks=[Scripted("val_loss", [2, 3, 1]), stopper,
                                                  reduce])
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 1." in out
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05" in out
