"""Callback, CallbackList, History and ProgbarLogger: the hooks `fit`, `evaluate` and
`predict` call, with Keras's `logs`."""

from __future__ import annotations

from fuseflow.keras_api.training.progbar import Progbar

_MODES = ("train", "test", "predict")


class Callback:
    """Base class of callbacks: override the hooks you need; `self.model` and `self.params`
    are set before training starts."""

    def __init__(self):
        self.model = None
        self.params: dict = {}
        self.validation_data = None

    def set_params(self, params: dict) -> None:
        """Receive the training parameters (`verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model) -> None:
        """Receive the model being trained."""
        self.model = model

    # Batch hooks for training default to the tf.keras 1 names (`on_batch_*`), as Keras does.
    def on_batch_begin(self, batch: int, logs=None) -> None:
        """Alias hook: called at the start of each training batch."""

    def on_batch_end(self, batch: int, logs=None) -> None:
        """Alias hook: called at the end of each training batch."""

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        """Called at the start of each epoch."""

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        """Called at the end of each epoch with its metrics (and `val_` metrics)."""

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        """Called at the start of each training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        """Called at the end of each training batch with the running metrics."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs=None) -> None:
        """Called at the start of each evaluation batch."""

    def on_test_batch_end(self, batch: int, logs=None) -> None:
        """Called at the end of each evaluation batch with the running metrics."""

    def on_predict_batch_begin(self, batch: int, logs=None) -> None:
        """Called at the start of each prediction batch."""

    def on_predict_batch_end(self, batch: int, logs=None) -> None:
        """Called at the end of each prediction batch with `{'outputs': ...}`."""

    def on_train_begin(self, logs=None) -> None:
        """Called when training starts."""

    def on_train_end(self, logs=None) -> None:
        """Called when training ends, with the last epoch's logs."""

    def on_test_begin(self, logs=None) -> None:
        """Called when evaluation starts."""

    def on_test_end(self, logs=None) -> None:
        """Called when evaluation ends, with its metrics."""

    def on_predict_begin(self, logs=None) -> None:
        """Called when prediction starts."""

    def on_predict_end(self, logs=None) -> None:
        """Called when prediction ends."""


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params):
        self.callbacks = list(callbacks or [])
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        self.model = None
        self.params: dict = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Add a callback at the end."""
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict) -> None:
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model) -> None:
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook: str, *args, logs=None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs=logs)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._call("on_epoch_end", epoch, logs=logs)

    def on_batch_begin(self, batch: int, logs=None) -> None:
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch: int, logs=None) -> None:
        self._call("on_train_batch_end", batch, logs=logs)


def _forward(hook: str):
    if "batch" in hook:
        def method(self, batch, logs=None):
            self._call(hook, batch, logs=logs)
    else:
        def method(self, logs=None):
            self._call(hook, logs=logs)

    method.__name__ = hook
    method.__doc__ = f"Call `{hook}` on every callback."
    return method


for _mode in _MODES:
    for _when in ("begin", "end"):
        setattr(CallbackList, f"on_{_mode}_{_when}", _forward(f"on_{_mode}_{_when}"))
        setattr(CallbackList, f"on_{_mode}_batch_{_when}", _forward(f"on_{_mode}_batch_{_when}"))


class History(Callback):
    """Records each epoch's logs in `history` (a dict of lists); `fit` returns it."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints the progress bar of `fit` (one per epoch), `evaluate` and `predict`."""

    def __init__(self, count_mode: str = "steps", stateful_metrics=None):
        super().__init__()
        if count_mode != "steps":
            raise ValueError(f"ProgbarLogger: only count_mode='steps' is supported, received "
                             f"{count_mode!r}")
        self.stateful_metrics = set(stateful_metrics or ())
        self.progbar: Progbar | None = None
        self._in_fit = False
        self.seen = 0

    @property
    def verbose(self) -> int:
        """The verbosity `fit`/`evaluate`/`predict` was called with."""
        return int(self.params.get("verbose", 1) or 0)

    def _start(self, target) -> None:
        # Logs from the trainer are already running means: show them as given.
        self.seen = 0
        self.progbar = Progbar(target, verbose=self.verbose, stateful_metrics=_Everything())

    def _step(self, batch: int, logs) -> None:
        self.seen = batch + 1  # batch hooks may come once per several steps
        if self.progbar is not None:
            self.progbar.update(self.seen, _items(logs), finalize=False)

    def _finish(self, logs) -> None:
        if self.progbar is None:
            return
        setup = getattr(self.model, "_setup_seconds", None) or {}
        if setup.get("total", 0.0) >= 0.005:
            self.progbar.excluded_seconds = setup["total"]
            self.progbar.setup_note = (f"(trace {setup.get('trace', 0.0):.2f}s, compile "
                                       f"{setup.get('compile', 0.0):.2f}s)")
        self.progbar.target = self.progbar.target or self.seen
        self.progbar.update(self.seen, _items(logs), finalize=True)
        self.progbar = None

    def on_train_begin(self, logs=None) -> None:
        self._in_fit = True

    def on_train_end(self, logs=None) -> None:
        self._in_fit = False

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        epochs = self.params.get("epochs", 1)
        if self.verbose and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}")
        self._start(self.params.get("steps"))

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._step(batch, logs)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._finish(logs)

    def on_test_begin(self, logs=None) -> None:
        if not self._in_fit:
            self._start(self.params.get("steps"))

    def on_test_batch_end(self, batch: int, logs=None) -> None:
        if not self._in_fit:
            self._step(batch, logs)

    def on_test_end(self, logs=None) -> None:
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None) -> None:
        self._start(self.params.get("steps"))

    def on_predict_batch_end(self, batch: int, logs=None) -> None:
        self._step(batch, None)

    def on_predict_end(self, logs=None) -> None:
        self._finish(None)


class _Everything:
    def __contains__(self, item) -> bool:
        return True


def _items(logs) -> list:
    return [(k, v) for k, v in (logs or {}).items() if k not in ("batch", "size", "outputs")]
