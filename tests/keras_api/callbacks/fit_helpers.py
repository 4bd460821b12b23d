"""A tiny Dense model, its data and a hook recorder, shared by the callback tests."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.keras_api import callbacks


def regression_data(n: int = 16, seed: int = 0):
    """Random inputs and targets for a Dense(2) model on 4 features."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.standard_normal(
        (n, 2)).astype(np.float32)


def dense_model(lr: float = 0.05, seed: int = 0, optimizer: str = "sgd", **compile_kwargs):
    """`Dense(2)` on 4 inputs, compiled with mse and a deterministic kernel."""
    model = ff.keras.Sequential([ff.keras.Input((4,)), ff.keras.layers.Dense(2)])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal((4, 2)).astype(np.float32) * 0.3,
                       np.zeros(2, np.float32)])
    opt = ff.keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": lr}})
    model.compile(opt, "mse", **compile_kwargs)
    return model


def fit(model, epochs: int = 3, validation: bool = True, **kwargs):
    """Fit on the fixed data (no shuffling), with validation data by default."""
    x, y = regression_data()
    if validation:
        kwargs.setdefault("validation_data", regression_data(8, seed=1))
    return model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, shuffle=False, **kwargs)


class Scripted(callbacks.Callback):
    """Feeds chosen values as `logs[key]` at each epoch end (to drive monitors)."""

    def __init__(self, key: str, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class Raise(callbacks.Callback):
    """Raises at the start of `epoch` (simulates a killed fit)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt(f"killed at epoch {epoch}")
