"""The TensorBoard callback: scalar (and weight histogram) event files under `log_dir`."""

from __future__ import annotations

import os
import time

import numpy as np

from fuseflow.keras_api.callbacks.base import Callback
from fuseflow.runtime.summary import SummaryWriter


class TensorBoard(Callback):
    """Write the epoch logs as TensorBoard scalars to `log_dir/train` and `log_dir/validation`.

    `epoch_<metric>` at each epoch (validation metrics without their `val_` prefix, in the
    validation run), `batch_<metric>` every `update_freq` batches when it is an int or
    'batch', weight histograms every `histogram_freq` epochs. `write_graph`, `write_images`,
    `profile_batch` and the embeddings arguments are accepted and write nothing.
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False,
                 update_freq="epoch", profile_batch=0, embeddings_freq: int = 0,
                 embeddings_metadata=None):
        super().__init__()
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard: `update_freq` must be 'epoch', 'batch' or a "
                             f"positive int, received {update_freq!r}")
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: `histogram_freq` must be a non-negative int, "
                             f"received {histogram_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq, self.update_freq = histogram_freq, update_freq
        self.write_steps_per_second = write_steps_per_second
        self._writers: dict[str, SummaryWriter] = {}
        self._global_train_batch = 0
        self._epoch_start = 0.0
        self._in_fit = False

    def _writer(self, run: str) -> SummaryWriter:
        writer = self._writers.get(run)
        if writer is None or writer.closed:
            writer = self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return writer

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_train_begin(self, logs=None) -> None:
        self._global_train_batch, self._in_fit = 0, True

    def on_train_end(self, logs=None) -> None:
        self._in_fit = False
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._global_train_batch += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in _scalars(logs).items():
            writer.write_scalar(f"batch_{name}", value, self._global_train_batch)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = dict(logs or {})
        train = {k: v for k, v in _scalars(logs).items() if not k.startswith("val_")}
        train.setdefault("learning_rate", self._learning_rate())
        if self.write_steps_per_second:
            steps = self.params.get("steps") or 0
            train["steps_per_second"] = steps / max(time.perf_counter() - self._epoch_start, 1e-9)
        self._write_scalars("train", train, epoch)
        validation = {k[4:]: v for k, v in _scalars(logs).items() if k.startswith("val_")}
        if validation:
            self._write_scalars("validation", validation, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()  # so a running TensorBoard sees each epoch as it ends

    def on_test_end(self, logs=None) -> None:
        if not self._in_fit:
            return
        step = self._iterations()
        if step is None:
            return
        writer = self._writer("validation")
        for name, value in _scalars(logs).items():
            writer.write_scalar(f"evaluation_{name}_vs_iterations", value, step)

    def _write_scalars(self, run: str, values: dict, epoch: int) -> None:
        writer = self._writer(run)
        for name, value in values.items():
            if value is not None:
                writer.write_scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for weight in getattr(self.model, "weights", None) or self.model.variables:
            name = weight.name.split(":")[0].replace(":", "_")
            writer.write_histogram(f"{name}/histogram", np.asarray(weight.numpy()), epoch)

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        value = getattr(optimizer, "learning_rate", None)
        if value is None:
            return None
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        return float(array) if array.ndim == 0 and array.dtype.kind == "f" else None

    def _iterations(self) -> int | None:
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        return None if iterations is None else int(np.asarray(iterations.numpy()))


def _scalars(logs) -> dict[str, float]:
    """The scalar numeric entries of `logs`, as floats."""
    found = {}
    for name, value in (logs or {}).items():
        array = np.asarray(value)
        if array.ndim == 0 and array.dtype.kind in "fiub":
            found[name] = float(array)
    return found
