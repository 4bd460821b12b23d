"""ModelCheckpoint and BackupAndRestore on a tiny fit (these use H1's save/load methods)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from fuseflow.keras_api import callbacks
from tests.keras_api.callbacks.fit_helpers import Raise, Scripted, dense_model, fit


def test_epoch_field_names_one_file_per_epoch(tmp_path):
    path = str(tmp_path / "ckpt" / "w-{epoch:04d}.weights.npz")
    fit(dense_model(), callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True)])
    assert sorted(os.listdir(tmp_path / "ckpt")) == [
        "w-0001.weights.npz", "w-0002.weights.npz", "w-0003.weights.npz"]


def test_saved_weights_are_the_epoch_end_weights(tmp_path):
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(
        model.get_weights()))
    model = dense_model()
    path = str(tmp_path / "w-{epoch}.weights.npz")
    fit(model, callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True), record])
    probe = dense_model(seed=5)
    probe.load_weights(str(tmp_path / "w-2.weights.npz"))
    for got, want in zip(probe.get_weights(), seen[1]):
        np.testing.assert_array_equal(got, want)


def test_log_fields_in_file_name(tmp_path):
    path = str(tmp_path / "m-{epoch:02d}-{val_loss:.1f}.weights.npz")
    scripted = Scripted("val_loss", [0.5, 0.25, 0.125])
    fit(dense_model(), callbacks=[scripted, callbacks.ModelCheckpoint(
        path, save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["m-01-0.5.weights.npz", "m-02-0.2.weights.npz",
                                            "m-03-0.1.weights.npz"]


def test_unknown_field_is_a_named_error(tmp_path):
    path = str(tmp_path / "m-{val_acc}.weights.npz")
    with pytest.raises(KeyError, match="val_acc"):
        fit(dense_model(), callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True)])


@pytest.mark.parametrize("mode,values,saved", [
    ("min", [3.0, 1.0, 2.0], ["e1", "e2"]),
    ("max", [3.0, 1.0, 4.0], ["e1", "e3"]),
    ("auto", [3.0, 1.0, 2.0], ["e1", "e2"]),  # a loss: smaller is better
])
def test_save_best_only_follows_mode(tmp_path, mode, values, saved):
    path = str(tmp_path / "e{epoch}.weights.npz")
    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True,
                                           save_weights_only=True, mode=mode)
    fit(dense_model(), callbacks=[Scripted("val_loss", values), checkpoint])
    assert sorted(name.split(".")[0] for name in os.listdir(tmp_path)) == saved


def test_auto_mode_maximizes_accuracy():
    checkpoint = callbacks.ModelCheckpoint("x.weights.npz", monitor="val_accuracy")
    assert checkpoint.mode == "max"
    assert callbacks.ModelCheckpoint("x.keras", monitor="loss").mode == "min"


def test_save_best_only_without_the_metric_warns_and_skips(tmp_path):
    path = str(tmp_path / "e{epoch}.weights.npz")
    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_auc", save_best_only=True,
                                           save_weights_only=True)
    with pytest.warns(UserWarning, match="val_auc"):
        fit(dense_model(), callbacks=[checkpoint])
    assert os.listdir(tmp_path) == []


def test_save_freq_in_batches(tmp_path):
    path = str(tmp_path / "e{epoch}-b{batch}.weights.npz")
    checkpoint = callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=3)
    fit(dense_model(), callbacks=[checkpoint])  # 2 batches per epoch, 6 in all
    assert sorted(os.listdir(tmp_path)) == ["e2-b1.weights.npz", "e3-b2.weights.npz"]


def test_period_saves_every_n_epochs(tmp_path):
    path = str(tmp_path / "e{epoch}.weights.npz")
    fit(dense_model(), epochs=4, callbacks=[callbacks.ModelCheckpoint(
        path, save_weights_only=True, period=2)])
    assert sorted(os.listdir(tmp_path)) == ["e2.weights.npz", "e4.weights.npz"]


def test_whole_model_checkpoint_loads(tmp_path):
    import fuseflow as ff

    path = str(tmp_path / "model-{epoch}.keras")
    model = dense_model()
    fit(model, epochs=2, callbacks=[callbacks.ModelCheckpoint(path)])
    loaded = ff.keras.models.load_model(str(tmp_path / "model-2.keras"))
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("save_freq", [0, "batch", 1.5])
def test_bad_save_freq(save_freq):
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("x.keras", save_freq=save_freq)


# -- BackupAndRestore -----------------------------------------------------------------------
def _epochs_run():
    seen = []
    return seen, callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_killed_fit_resumes_at_its_epoch_with_its_weights(tmp_path, optimizer):
    backup = str(tmp_path / "backup")
    reference = dense_model(optimizer=optimizer)
    fit(reference, epochs=4)
    model = dense_model(optimizer=optimizer)
    with pytest.raises(KeyboardInterrupt):
        fit(model, epochs=4, callbacks=[callbacks.BackupAndRestore(backup), Raise(2)])
    assert json.loads((tmp_path / "backup" / "training_metadata.json").read_text())[
        "epoch"] == 2
    restarted = dense_model(optimizer=optimizer, seed=9)  # a fresh process's fresh model
    seen, record = _epochs_run()
    history = fit(restarted, epochs=4, callbacks=[callbacks.BackupAndRestore(backup), record])
    assert seen == [2, 3]
    assert history.epoch == [2, 3]
    for got, want in zip(restarted.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert not os.path.exists(backup)  # deleted after a successful fit


def test_backup_kept_when_delete_checkpoint_false(tmp_path):
    backup = tmp_path / "backup"
    fit(dense_model(), epochs=2, callbacks=[callbacks.BackupAndRestore(
        str(backup), delete_checkpoint=False)])
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2
    assert sorted(p.name for p in backup.iterdir()) == [
        "backup-1.optimizer.npz", "backup-1.weights.npz", "training_metadata.json"]
    seen, record = _epochs_run()
    fit(dense_model(), epochs=2, callbacks=[callbacks.BackupAndRestore(str(backup)), record])
    assert seen == []  # already complete: nothing left to run


def test_corrupt_backup_metadata_is_a_named_error(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "training_metadata.json").write_text("{not json")
    with pytest.raises(ValueError, match="training_metadata.json"):
        fit(dense_model(), callbacks=[callbacks.BackupAndRestore(str(backup))])


def test_backup_dir_required():
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore("")


def test_verbose_messages(tmp_path, capsys):
    path = str(tmp_path / "best.weights.npz")
    checkpoint = callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True,
                                           verbose=1)
    fit(dense_model(), epochs=2, callbacks=[Scripted("val_loss", [0.5, 0.75]), checkpoint])
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from inf to 0.50000, saving model to {path}" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
