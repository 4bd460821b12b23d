"""Small callbacks: CSVLogger, TerminateOnNaN and LambdaCallback."""

from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from fuseflow.keras_api.callbacks.base import Callback

_HOOKS = tuple(sorted(name for name in vars(Callback) if name.startswith("on_")))


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file (`append=True` continues an existing file)."""

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep, self.append = separator, append
        self.keys: list[str] | None = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None) -> None:
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as stream:
                    self.append_header = not stream.readline()
            mode = "a"
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115  (closed at end)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no `val_` keys: reserve columns.
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("CSVLoggerDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None) -> None:
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, collections.abc.Iterable):
        return f"[{', '.join(map(str, value))}]"
    return value


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_batch_end(self, batch: int, logs=None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not np.all(np.isfinite(np.asarray(loss, dtype=np.float64))):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook: `on_epoch_end=lambda epoch, logs:
    ...`, `on_train_begin=lambda logs: ...`, `on_batch_end=lambda batch, logs: ...`."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        unknown = sorted(set(hooks) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; hooks are {list(_HOOKS)}")
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: `{name}` must be callable, received {fn!r}")
            setattr(self, name, _positional(fn, takes_index=name not in _WHOLE_RUN_HOOKS))


_WHOLE_RUN_HOOKS = {f"on_{mode}_{when}" for mode in ("train", "test", "predict")
                    for when in ("begin", "end")}


def _positional(fn, takes_index: bool):
    # Keras passes `logs` positionally, so user functions may name it anything.
    if takes_index:
        return lambda index, logs=None: fn(index, logs)
    return lambda logs=None: fn(logs)
