"""Callbacks that watch a metric: EarlyStopping, ReduceLROnPlateau, and LearningRateScheduler."""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from fuseflow.keras_api.callbacks.base import Callback

_MAXIMIZED = ("acc", "auc", "precision", "recall", "fmeasure", "f1")


def resolve_mode(owner: str, mode: str, monitor: str) -> str:
    """'min' or 'max' for `mode` ('auto' guesses from the metric's name, as Keras does)."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", stacklevel=3)
        mode = "auto"
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    return "max" if any(key in name for key in _MAXIMIZED) and "loss" not in name else "min"


def monitored_value(owner: str, monitor: str, logs) -> float | None:
    """`logs[monitor]` as a float, or None (with a warning naming what is available)."""
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        warnings.warn(f"{owner} conditioned on metric `{monitor}` which is not available. "
                      f"Available metrics are: {','.join(logs)}", stacklevel=3)
        return None
    return float(np.asarray(value))


def current_learning_rate(owner: str, model) -> float:
    """The optimizer's learning rate as a float."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f'{owner}: the optimizer must have a "learning_rate" attribute.')
    value = optimizer.learning_rate
    return float(np.asarray(value.numpy() if hasattr(value, "numpy") else value))


class EarlyStopping(Callback):
    """Stop training when `monitor` has stopped improving for `patience` epochs."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__()
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: `patience` must be a non-negative int, "
                             f"received {patience!r}")
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = resolve_mode("EarlyStopping", mode, monitor)
        # Stored signed, so `_is_improvement` is one comparison for either mode.
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best: float | None = None
        self.best_weights = None

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "max":
            return value - self.min_delta > reference
        return value - self.min_delta < reference

    def on_train_begin(self, logs=None) -> None:
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        current = monitored_value("Early stopping", self.monitor, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # the current weights are the best
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Only restart the wait when beating both the baseline and the previous best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs) -> float | None:
        """The monitored metric in `logs`, or None."""
        return monitored_value("Early stopping", self.monitor, logs)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` stops improving for `patience`
    epochs (then wait `cooldown` epochs), never below `min_lr`."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # the tf.keras 1 name of `min_delta`
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected keyword argument(s) {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Got {factor}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr
        self.mode = resolve_mode("ReduceLROnPlateau", mode, monitor)
        self._reset()

    def _reset(self) -> None:
        self.wait = self.cooldown_counter = 0
        self.best = np.inf if self.mode == "min" else -np.inf

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def in_cooldown(self) -> bool:
        """Whether the callback is waiting out its cooldown."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = {} if logs is None else logs
        logs["learning_rate"] = current_learning_rate("ReduceLROnPlateau", self.model)
        current = monitored_value("Learning rate reduction", self.monitor, logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch: int) -> None:
        old_lr = current_learning_rate("ReduceLROnPlateau", self.model)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to `schedule(epoch, lr)` (or
    `schedule(epoch)`)."""

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: `schedule` must be callable, received "
                             f"{schedule!r}")
        self.schedule, self.verbose = schedule, verbose
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        lr = current_learning_rate("LearningRateScheduler", self.model)
        value = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        if array.ndim != 0 or array.dtype.kind != "f" or isinstance(value, bool):
            raise ValueError(f"The output of the `schedule` function should be a float. "
                             f"Got: {value!r}")
        self.model.optimizer.learning_rate = float(array)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(array)}.")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is not None:
            logs["learning_rate"] = current_learning_rate("LearningRateScheduler", self.model)


def _accepts_two_arguments(fn) -> bool:
    try:
        inspect.signature(fn).bind(0, 0.1)
    except TypeError:
        return False
    except ValueError:  # builtins without a signature: try the new API, as Keras does
        return True
    return True
