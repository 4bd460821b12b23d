"""The TensorBoard callback writes event files with the epoch and batch scalars."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fuseflow.keras_api import callbacks
from fuseflow.runtime.summary import read_events
from tests.keras_api.callbacks.fit_helpers import dense_model, fit


def _scalars(run_dir) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value), ...]} over every event file in `run_dir`."""
    found: dict = {}
    for name in sorted(os.listdir(run_dir)):
        assert name.startswith("events.out.tfevents.")
        for event in read_events(os.path.join(run_dir, name)):
            for value in event["values"]:
                if "simple_value" in value:
                    found.setdefault(value["tag"], []).append((event["step"],
                                                               value["simple_value"]))
    return found


def test_epoch_scalars_for_train_and_validation(tmp_path):
    history = fit(dense_model(), callbacks=[callbacks.TensorBoard(str(tmp_path))])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = _scalars(tmp_path / "train"), _scalars(tmp_path / "validation")
    assert [s for s, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_loss"]],
                               history.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3)
    # the optimizer step of each validation run: 2 batches per epoch
    assert [s for s, _ in validation["evaluation_loss_vs_iterations"]] == [2, 4, 6]
    assert "batch_loss" not in train


@pytest.mark.parametrize("update_freq,steps", [("batch", [1, 2, 3, 4, 5, 6]), (4, [4])])
def test_batch_scalars_every_update_freq(tmp_path, update_freq, steps):
    fit(dense_model(), validation=False,
        callbacks=[callbacks.TensorBoard(str(tmp_path), update_freq=update_freq)])
    assert [s for s, _ in _scalars(tmp_path / "train")["batch_loss"]] == steps


def test_weight_histograms(tmp_path):
    model = dense_model()
    fit(model, epochs=2, validation=False,
        callbacks=[callbacks.TensorBoard(str(tmp_path), histogram_freq=1)])
    histograms = {}
    run = tmp_path / "train"
    for event in read_events(str(run / os.listdir(run)[0])):
        for value in event["values"]:
            if "histo" in value:
                histograms.setdefault(value["tag"], []).append((event["step"], value["histo"]))
    kernel = next(tag for tag in histograms if "kernel" in tag)
    assert [s for s, _ in histograms[kernel]] == [0, 1]
    last = histograms[kernel][-1][1]
    assert last["num"] == 8 and sum(last["bucket"]) == 8
    assert last["sum"] == pytest.approx(float(model.get_weights()[0].sum()), rel=1e-6)


def test_writers_are_closed_after_fit_and_reopened_by_the_next(tmp_path):
    board = callbacks.TensorBoard(str(tmp_path))
    fit(dense_model(), epochs=1, validation=False, callbacks=[board])
    fit(dense_model(), epochs=1, validation=False, callbacks=[board])
    assert len(os.listdir(tmp_path / "train")) == 2
    assert [s for s, _ in _scalars(tmp_path / "train")["epoch_loss"]] == [0, 0]


def test_bad_update_freq():
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq="sometimes")
