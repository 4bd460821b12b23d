"""Callbacks that save training: ModelCheckpoint and BackupAndRestore."""

from __future__ import annotations

import json
import os
import shutil
import warnings

import numpy as np

from fuseflow.keras_api.callbacks.base import Callback
from fuseflow.keras_api.callbacks.monitoring import resolve_mode


def _check_save_freq(owner: str, save_freq) -> None:
    if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
        raise ValueError(f"{owner}: unrecognized save_freq: {save_freq!r}. Expected save_freq "
                         "are 'epoch' or a positive integer")


class _BatchCounter:
    """Counts training batches across epochs, firing every `every` batches."""

    def __init__(self, every: int):
        self.every, self.seen, self.last = every, 0, -1

    def step(self, batch: int) -> bool:
        # Batch indices restart each epoch and may skip (steps_per_execution > 1).
        self.seen += batch + 1 if batch <= self.last else batch - self.last
        self.last = batch
        if self.seen >= self.every:
            self.seen = 0
            return True
        return False


class ModelCheckpoint(Callback):
    """Save the model (or its weights) to `filepath` every epoch or every `save_freq` batches.

    `filepath` may hold `{epoch:04d}` (1-based), `{batch}` and any log key (`{val_loss:.2f}`).
    With `save_best_only`, only saves when `monitor` improves (`mode` 'min', 'max' or 'auto').
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch", initial_value_threshold=None,
                 options=None, period: int | None = None):
        super().__init__()
        _check_save_freq("ModelCheckpoint", save_freq)
        if period is not None and (not isinstance(period, int) or period < 1):
            raise ValueError(f"ModelCheckpoint: `period` must be a positive int, received "
                             f"{period!r}")
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq, self.period = save_freq, period or 1
        self.mode = resolve_mode("ModelCheckpoint", mode, monitor)
        self.best = initial_value_threshold
        if self.best is None:
            self.best = np.inf if self.mode == "min" else -np.inf
        self._counter = _BatchCounter(save_freq) if save_freq != "epoch" else None
        self._epochs_since_save = 0
        self._current_epoch = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self._counter is not None and self._counter.step(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._epochs_since_save += 1
        if self.save_freq == "epoch" and self._epochs_since_save >= self.period:
            self._epochs_since_save = 0
            self._save(epoch, None, logs)

    def _improved(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def _save(self, epoch: int, batch: int | None, logs) -> None:
        logs = dict(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, "
                              "skipping.", stacklevel=3)
                return
            current = float(np.asarray(current))
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        self._write(filepath)

    def _write(self, filepath: str) -> None:
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict) -> str:
        fields = {k: float(np.asarray(v)) if np.ndim(v) == 0 else v for k, v in logs.items()}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **fields)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **fields)
        except (KeyError, IndexError, ValueError) as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {error!r}; available keys: epoch, batch, "
                           f"{', '.join(logs)}") from None


class BackupAndRestore(Callback):
    """Back up the training state to `backup_dir` each epoch; a fit that was interrupted
    restarts at the epoch it had reached, with the backed-up weights and optimizer state.

    The backup is deleted when a fit finishes (unless `delete_checkpoint=False`).
    """

    METADATA = "training_metadata.json"

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint: bool = True,
                 save_before_preemption: bool = False):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: empty `backup_dir` is not allowed, received "
                             f"{backup_dir!r}")
        _check_save_freq("BackupAndRestore", save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._counter = _BatchCounter(save_freq) if save_freq != "epoch" else None
        self._current_epoch = 0
        self._saves = 0

    def _path(self, name: str) -> str:
        return os.path.join(self.backup_dir, name)

    def _read_metadata(self) -> dict | None:
        path = self._path(self.METADATA)
        if not os.path.exists(path):
            return None
        try:
            with open(path) as stream:
                metadata = json.load(stream)
            int(metadata["epoch"]), str(metadata["weights"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"BackupAndRestore: corrupt backup metadata {path!r}: "
                             f"{error!r}") from None
        return metadata

    def on_train_begin(self, logs=None) -> None:
        metadata = self._read_metadata()
        if metadata is None:
            return
        self._saves = int(metadata.get("save", 0)) + 1
        self.model.load_weights(self._path(metadata["weights"]))
        if metadata.get("optimizer"):
            self._restore_optimizer(self._path(metadata["optimizer"]))
        self.model._initial_epoch = int(metadata["epoch"])

    def _restore_optimizer(self, path: str) -> None:
        optimizer = self.model.optimizer
        with np.load(path, allow_pickle=False) as archive:
            weights = [archive[f"arr_{i}"] for i in range(len(archive.files))]
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        optimizer.set_weights(weights)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self._counter is not None and self._counter.step(batch):
            self._backup(self._current_epoch)  # a restart redoes this epoch from here

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.save_freq == "epoch":
            self._backup(epoch + 1)

    def on_train_end(self, logs=None) -> None:
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def _backup(self, next_epoch: int) -> None:
        # New files per save, named by the metadata written last: a crash at any point leaves
        # metadata that names a complete, consistent earlier backup.
        os.makedirs(self.backup_dir, exist_ok=True)
        metadata = {"epoch": next_epoch, "save": self._saves,
                    "weights": f"backup-{self._saves}.weights.npz", "optimizer": None}
        self.model.save_weights(self._path(metadata["weights"]))
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            metadata["optimizer"] = f"backup-{self._saves}.optimizer.npz"
            _atomic_write(self._path(metadata["optimizer"]),
                          lambda stream: np.savez(stream, *optimizer.get_weights()))
        _atomic_write(self._path(self.METADATA),
                      lambda stream: stream.write(json.dumps(metadata).encode()))
        self._saves += 1
        keep = {self.METADATA, metadata["weights"], metadata["optimizer"]}
        for name in os.listdir(self.backup_dir):
            if name.startswith("backup-") and name not in keep:
                os.remove(self._path(name))


def _atomic_write(path: str, write) -> None:
    """Write through a temporary file in the same directory, then rename over `path`."""
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
