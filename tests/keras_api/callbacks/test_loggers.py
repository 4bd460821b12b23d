"""CSVLogger, TerminateOnNaN and LambdaCallback on a tiny fit."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from fuseflow.keras_api import callbacks
from tests.keras_api.callbacks.fit_helpers import Scripted, dense_model, fit


def _rows(path):
    with open(path, newline="") as stream:
        return list(csv.reader(stream))


def test_csv_logger_writes_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = fit(dense_model(), callbacks=[callbacks.CSVLogger(str(path))])
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], history.history["loss"])
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], history.history["val_loss"])


def test_csv_logger_append_continues_without_second_header(tmp_path):
    path = str(tmp_path / "log.csv")
    fit(dense_model(), epochs=2, callbacks=[callbacks.CSVLogger(path)])
    fit(dense_model(), epochs=2, callbacks=[callbacks.CSVLogger(path, append=True)])
    rows = _rows(path)
    assert [r[0] for r in rows] == ["epoch", "0", "1", "0", "1"]


def test_csv_logger_overwrites_without_append(tmp_path):
    path = str(tmp_path / "log.csv")
    fit(dense_model(), epochs=2, callbacks=[callbacks.CSVLogger(path)])
    fit(dense_model(), epochs=1, callbacks=[callbacks.CSVLogger(path)])
    assert len(_rows(path)) == 2


def test_csv_logger_separator_and_missing_validation_columns(tmp_path):
    path = tmp_path / "log.tsv"
    fit(dense_model(), epochs=2, validation=False,
        callbacks=[callbacks.CSVLogger(str(path), separator="\t")])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\tloss\tval_loss"
    assert lines[1].endswith("\tNA")


def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    losses = iter([0.5, float("nan"), 0.1, 0.1, 0.1, 0.1])

    class FakeLoss(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            logs["loss"] = next(losses)

    history = fit(dense_model(), callbacks=[FakeLoss(), callbacks.TerminateOnNaN(), record])
    assert seen == [0, 1]
    assert history.epoch == [0]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_with_a_diverging_model():
    model = dense_model(lr=1e30)
    history = fit(model, epochs=5, validation=False, callbacks=[callbacks.TerminateOnNaN()])
    assert len(history.epoch) < 5
    assert not np.isfinite(history.history["loss"][-1])


def test_lambda_callback_hook_order_and_arguments():
    calls = []
    def recorder(name):
        return lambda *args: calls.append((name, *args[:-1]))

    hooks = {name: recorder(name)
             for name in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                          "on_train_batch_end", "on_epoch_end", "on_train_end",
                          "on_test_begin", "on_test_end")}
    fit(dense_model(), epochs=2, callbacks=[callbacks.LambdaCallback(**hooks)])
    epoch = lambda e: [("on_epoch_begin", e), ("on_train_batch_begin", 0),
                       ("on_train_batch_end", 0), ("on_train_batch_begin", 1),
                       ("on_train_batch_end", 1), ("on_test_begin",), ("on_test_end",),
                       ("on_epoch_end", e)]
    assert calls == [("on_train_begin",), *epoch(0), *epoch(1), ("on_train_end",)]


def test_lambda_callback_logs_positional_and_legacy_batch_names():
    seen = []
    callback = callbacks.LambdaCallback(
        on_batch_end=lambda batch, values: seen.append((batch, sorted(values))),
        on_epoch_end=lambda epoch, values: seen.append((epoch, sorted(values))))
    fit(dense_model(), epochs=1, callbacks=[callback])
    assert seen == [(0, ["loss"]), (1, ["loss"]), (0, ["loss", "val_loss"])]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="on_epoch_ends"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="callable"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_scripted_values_reach_later_callbacks():
    seen = []
    fit(dense_model(), epochs=2, callbacks=[
        Scripted("custom", [7, 8]),
        callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs["custom"]))])
    assert seen == [7, 8]
