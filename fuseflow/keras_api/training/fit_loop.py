"""The epoch loop of `fit` and the batch loop of `evaluate`, with their callback calls."""

from __future__ import annotations

from fuseflow.keras_api.callbacks.base import CallbackList, History


def should_validate(epoch: int, validation_freq) -> bool:
    """Validate after `epoch` (0-based)? `validation_freq` is an int or a list of epochs."""
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` must be >= 1, received {validation_freq}")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, list | tuple | set):
        return epoch + 1 in validation_freq
    raise ValueError(f"`validation_freq` must be an int or a list of epochs, received "
                     f"{validation_freq!r}")


class FitLoop:
    """One `fit` call: epochs of train steps, validation, callbacks, History."""

    def __init__(self, model, data, validation=None, validation_freq=1):
        self.model, self.data, self.validation = model, data, validation
        self.validation_freq = validation_freq
        should_validate(0, validation_freq)  # check the argument before training starts

    def run(self, epochs: int, initial_epoch: int, verbose: int, callbacks) -> History:
        """Train from `initial_epoch` to `epochs`; returns the model's History."""
        from fuseflow.keras_api.training.trainer import to_logs

        model = self.model
        callbacks = model._callbacks(callbacks, verbose, epochs, self.data.steps, history=True)
        history = next((c for c in callbacks if isinstance(c, History)), None) or History()
        model.history = history
        model.stop_training = False
        model._initial_epoch = None
        train_function = model.make_train_function()
        callbacks.on_train_begin()
        # A callback may move the start (BackupAndRestore resuming an interrupted fit).
        initial_epoch = model._initial_epoch if model._initial_epoch is not None else initial_epoch
        model._initial_epoch = None
        logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            model.reset_metrics()
            model._setup_seconds = None
            callbacks.on_epoch_begin(epoch)
            logs = self._train_epoch(train_function, callbacks, to_logs)
            if callbacks.params.get("steps") is None and self.data.steps is not None:
                callbacks.params["steps"] = self.data.steps  # learned in the first epoch
            if self.validation is not None and should_validate(epoch, self.validation_freq):
                val_logs = self.evaluate(model, self.validation, callbacks)
                logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callbacks.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callbacks.on_train_end(logs)
        return model.history

    def _groups(self, size: int):
        """(first step, batches): `size` batches at a time, then the remainder one by one."""
        group: list = []
        step = -1
        for step, batch in enumerate(self.data.epoch()):
            group.append(batch)
            if len(group) == size:
                yield step - size + 1, group
                group = []
        for i, batch in enumerate(group):
            yield step - len(group) + 1 + i, [batch]

    def _train_epoch(self, train_function, callbacks: CallbackList, to_logs) -> dict:
        model, logs = self.model, None
        size = 1 if model.run_eagerly else model.steps_per_execution
        multi = model.make_multi_step_train_function() if size > 1 else None
        for first, group in self._groups(size):
            callbacks.on_train_batch_begin(first)
            outputs = multi(tuple(group)) if len(group) > 1 else train_function(group[0])
            logs = to_logs(outputs)
            callbacks.on_train_batch_end(first + len(group) - 1, logs)
            if model.stop_training:
                break
        if getattr(self.data, "exhausted", False):
            model.stop_training = True
        if logs is None:
            raise ValueError("fit: the training data produced no batches for this epoch "
                             "(an empty dataset, or `steps_per_epoch=0`)")
        return dict(logs)

    @staticmethod
    def evaluate(model, data, callbacks: CallbackList) -> dict:
        """Run every test step over `data`; returns the final logs."""
        from fuseflow.keras_api.training.trainer import to_logs

        model.reset_metrics()
        test_function = model.make_test_function()
        callbacks.on_test_begin()
        logs: dict = {}
        for step, batch in enumerate(data.epoch()):
            callbacks.on_test_batch_begin(step)
            logs = to_logs(test_function(batch))
            callbacks.on_test_batch_end(step, logs)
        if not logs:
            raise ValueError("evaluate: the data produced no batches")
        callbacks.on_test_end(logs)
        return logs
