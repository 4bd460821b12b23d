"""Trainer: `compile`, `fit`, `evaluate`, `predict` and the overridable steps, as a mixin.

`Model(Trainer, Layer)` gets training from here. The model provides `__call__(x, training=)`,
`trainable_variables`, `losses` (extra losses of the last call) and `stop_training`. Each batch's
whole step (forward, loss, gradients, optimizer update, metric updates) is one
`fuseflow.function` call: compiled by default, interpreted with `jit_compile=False`, plain
Python with `run_eagerly=True`.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import nest
from fuseflow.core.tape import GradientTape
from fuseflow.keras_api import optimizers as optimizers_mod
from fuseflow.keras_api.callbacks.base import CallbackList, History
from fuseflow.keras_api.training import data_adapter
from fuseflow.keras_api.training.compile_utils import LossesContainer, MetricsContainer
from fuseflow.keras_api.training.data_adapter import make_data, unpack_x_y_sample_weight
from fuseflow.keras_api.training.fit_loop import FitLoop
from fuseflow.keras_api.training.step_function import StepFunction


class NotCompiledError(RuntimeError, ValueError):
    """Training or evaluating a model that was never compiled."""


def _check_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2; received {verbose!r}")
    return int(verbose)


def to_logs(outputs) -> dict:
    """Step outputs (a dict of scalar tensors) as Python floats, as Keras logs hold them."""
    if not isinstance(outputs, dict):
        return {"output": outputs}
    logs = {}
    for name, value in outputs.items():
        array = np.asarray(value)
        logs[name] = float(array) if array.ndim == 0 else array
    return logs


class Trainer:
    """Training methods for a model (mixed into `Model`)."""

    _is_compiled = False
    optimizer = None
    loss = None
    compiled_loss: LossesContainer | None = None
    compiled_metrics: MetricsContainer | None = None
    train_function = test_function = predict_function = None
    _multi_train_function = None
    history: History | None = None
    stop_training = False
    _run_eagerly = False
    _jit_compile = True
    _steps_per_execution = 1
    _setup_seconds: dict | None = None

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly: bool | None = None,
                steps_per_execution: int | None = None, jit_compile: bool | None = None,
                **kwargs) -> None:
        """Configure training: optimizer, loss(es), metrics and how steps run.

        Raises:
            ValueError: an unknown optimizer, loss or metric name, naming the argument.
        """
        kwargs.pop("auto_scale_loss", None)
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(kwargs)}")
        if steps_per_execution is not None and (not isinstance(steps_per_execution, int)
                                                or steps_per_execution < 1):
            raise ValueError(f"compile: `steps_per_execution` must be a positive int, "
                             f"received {steps_per_execution!r}")
        output_names = getattr(self, "output_names", None)
        try:
            self.optimizer = optimizers_mod.get(optimizer)
        except ValueError as error:
            raise ValueError(f"compile(optimizer={optimizer!r}): {error}") from None
        try:
            self.compiled_loss = LossesContainer(loss, loss_weights, output_names)
        except ValueError as error:
            raise ValueError(f"compile(loss={loss!r}): {error}") from None
        try:
            self.compiled_metrics = MetricsContainer(metrics, weighted_metrics, output_names,
                                                     self.compiled_loss)
        except ValueError as error:
            raise ValueError(f"compile(metrics={metrics!r}): {error}") from None
        self.loss = loss
        self._run_eagerly = bool(run_eagerly)
        self._jit_compile = True if jit_compile is None else bool(jit_compile)
        self._steps_per_execution = steps_per_execution or 1
        self._compile_config = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                                "weighted_metrics": weighted_metrics,
                                "run_eagerly": run_eagerly, "jit_compile": jit_compile,
                                "steps_per_execution": steps_per_execution}
        self._reset_step_functions()
        self._is_compiled = True

    def _reset_step_functions(self) -> None:
        self.train_function = self.test_function = self.predict_function = None
        self._multi_train_function = None

    @property
    def run_eagerly(self) -> bool:
        """Whether steps run as plain Python (no tracing)."""
        from fuseflow.graph.function import functions_run_eagerly

        return self._run_eagerly or functions_run_eagerly()

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = bool(value)
        self._reset_step_functions()

    @property
    def jit_compile(self) -> bool:
        """Whether traced steps are compiled (True) or interpreted (False)."""
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value: bool) -> None:
        self._jit_compile = bool(value)
        self._reset_step_functions()

    @property
    def steps_per_execution(self) -> int:
        """Batches per step-function call, as given to `compile`."""
        return self._steps_per_execution

    def get_compile_config(self) -> dict:
        """The arguments `compile` was called with (for saving)."""
        return dict(getattr(self, "_compile_config", {}))

    def _assert_compiled(self, method: str) -> None:
        if not self._is_compiled:
            raise NotCompiledError(f"You must compile your model before training/testing. Use "
                                   f"`model.compile(optimizer, loss)` before `{method}()`.")

    # -- metrics -------------------------------------------------------------------------------
    @property
    def metrics(self) -> list:
        """The loss trackers, then the compiled metrics (once the first batch built them)."""
        found = []
        if self.compiled_loss is not None:
            found += self.compiled_loss.metrics
        if self.compiled_metrics is not None:
            found += self.compiled_metrics.metrics
        return found

    @property
    def metrics_names(self) -> list[str]:
        """The names of `metrics`, in order (what `evaluate` lists)."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the state of every metric."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict:
        """`{name: result}` for every metric."""
        results = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    # -- the steps -----------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The total loss of a batch: compiled losses plus the model's extra losses."""
        if self.compiled_loss is None:
            raise NotCompiledError("compute_loss: the model has no compiled loss; call "
                                   "`compile(loss=...)` first")
        extra = list(getattr(self, "losses", None) or [])
        return self.compiled_loss(y, y_pred, sample_weight, regularization_losses=extra)

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with a batch and return every metric's result."""
        if self.compiled_metrics is not None:
            self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data) -> dict:
        """One training step on a batch `(x, y[, sample_weight])`; returns the metrics."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data) -> dict:
        """One evaluation step on a batch; returns the metrics."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for a batch's `x`."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _record_setup(self, trace: float, compile_: float) -> None:
        setup = self._setup_seconds if self._setup_seconds is not None else {}
        setup["trace"] = setup.get("trace", 0.0) + trace
        setup["compile"] = setup.get("compile", 0.0) + compile_
        setup["total"] = setup["trace"] + setup["compile"]
        self._setup_seconds = setup

    def _make_function(self, step, name: str):
        if self.run_eagerly:
            return step
        return StepFunction(step, name, self._jit_compile, self._record_setup)

    def make_train_function(self, force: bool = False):
        """The callable `fit` runs per batch: `train_function(data) -> logs tensors`."""
        if self.train_function is None or force:
            self.train_function = self._make_function(self.train_step, "train_function")
        return self.train_function

    def _multi_train_step(self, batches: tuple) -> dict:
        logs: dict = {}
        for batch in batches:  # unrolled: one traced call runs `steps_per_execution` steps
            logs = self.train_step(batch)
        return logs

    def make_multi_step_train_function(self):
        """The callable `fit` runs on `steps_per_execution` batches at once."""
        if self._multi_train_function is None:
            self._multi_train_function = self._make_function(self._multi_train_step,
                                                             "multi_step_train_function")
        return self._multi_train_function

    def make_test_function(self, force: bool = False):
        """The callable `evaluate` runs per batch."""
        if self.test_function is None or force:
            self.test_function = self._make_function(self.test_step, "test_function")
        return self.test_function

    def make_predict_function(self, force: bool = False):
        """The callable `predict` runs per batch."""
        if self.predict_function is None or force:
            self.predict_function = self._make_function(self.predict_step, "predict_function")
        return self.predict_function

    # -- fit / evaluate / predict ----------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None, shuffle=True,
            class_weight=None, sample_weight=None, initial_epoch: int = 0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1, profile: bool = False, **unused) -> History:
        """Train for `epochs` epochs; returns the `History` of per-epoch logs.

        `profile=True` adds a `fuseflow.profiler.Profile` callback that reports where the time
        went (data, step, trace and compile, callbacks).
        """
        self._assert_compiled("fit")
        verbose = _check_verbose(verbose)
        if validation_split and validation_data is None:
            if not data_adapter.is_array_like(x):
                raise ValueError("`validation_split` is only supported for NumPy arrays and "
                                 f"tensors, not for x of type {type(x).__name__}")
            (x, y, sample_weight), validation_data = data_adapter.train_validation_split(
                (x, y, sample_weight), validation_split)
        if y is None and self.loss is not None and data_adapter.is_array_like(x):
            raise ValueError(f"Target data is missing: the model was compiled with "
                             f"loss={self.loss!r}, so `fit()` needs `y`")
        data = make_data(x, y, sample_weight, batch_size, steps_per_epoch, shuffle,
                         class_weight, "fit")
        validation = None
        if validation_data is not None:
            validation = self._validation_data(validation_data, validation_batch_size or
                                               batch_size, validation_steps)
        if profile:
            from fuseflow.profiler import Profile

            callbacks = [Profile(), *(callbacks or [])]
        loop = FitLoop(self, data, validation, validation_freq)
        return loop.run(epochs, initial_epoch, verbose, callbacks)

    def _validation_data(self, validation_data, batch_size, steps):
        if data_adapter.is_array_like(validation_data) and isinstance(validation_data,
                                                                      list | tuple):
            if len(validation_data) not in (2, 3):
                raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, "
                                 "y_val, val_sample_weight), or a dataset; received a tuple "
                                 f"of {len(validation_data)} elements")
            vx, vy, vw = unpack_x_y_sample_weight(tuple(validation_data))
            return make_data(vx, vy, vw, batch_size, steps, False, None, "fit(validation_data)")
        return make_data(validation_data, None, None, batch_size, steps, False, None,
                         "fit(validation_data)")

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False, **unused):
        """The loss and metrics over `x` (a scalar, a list by `metrics_names`, or a dict)."""
        self._assert_compiled("evaluate")
        verbose = _check_verbose(verbose)
        data = make_data(x, y, sample_weight, batch_size, steps, False, None, "evaluate")
        callbacks = self._callbacks(callbacks, verbose, 1, data.steps)
        self._setup_seconds = None
        logs = FitLoop.evaluate(self, data, callbacks)
        return logs if return_dict else self._logs_as_list(logs)

    def _logs_as_list(self, logs: dict):
        values = [logs[name] for name in self.metrics_names if name in logs]
        values += [v for k, v in logs.items() if k not in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def _callbacks(self, callbacks, verbose: int, epochs: int, steps, history=False):
        if isinstance(callbacks, CallbackList):
            callbacks.set_model(self)
            callbacks.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})
            return callbacks
        return CallbackList(callbacks, add_history=history, add_progbar=verbose != 0,
                            model=self, verbose=verbose, epochs=epochs, steps=steps)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                **unused):
        """The model's outputs for `x` as NumPy arrays, batch by batch."""
        verbose = _check_verbose(verbose)
        data = make_data(x, None, None, batch_size, steps, False, None, "predict")
        callbacks = self._callbacks(callbacks, verbose, 1, data.steps)
        self._setup_seconds = None
        predict_function = self.make_predict_function()
        callbacks.on_predict_begin()
        outputs = []
        for step, batch in enumerate(data.epoch()):
            callbacks.on_predict_batch_begin(step)
            batch_out = nest.map_structure(np.asarray, predict_function(batch))
            outputs.append(batch_out)
            callbacks.on_predict_batch_end(step, {"outputs": batch_out})
        if not outputs:
            raise ValueError("predict: the input produced no batches")
        callbacks.on_predict_end()
        return nest.map_structure(lambda *parts: np.concatenate(parts, axis=0), *outputs)

    # -- single batches --------------------------------------------------------------------------
    def _single_batch(self, x, y, sample_weight, class_weight=None):
        data = data_adapter.ArrayData(x, y, sample_weight, batch_size=None, shuffle=False,
                                      class_weight=class_weight)
        data.batch_size, data.steps = data.num_samples, 1
        return next(data.epoch())

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics: bool = True, return_dict: bool = False):
        """One training step on exactly this batch; returns its loss and metrics."""
        self._assert_compiled("train_on_batch")
        if reset_metrics:
            self.reset_metrics()
        logs = to_logs(self.make_train_function()(self._single_batch(x, y, sample_weight,
                                                                      class_weight)))
        return logs if return_dict else self._logs_as_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics: bool = True,
                      return_dict: bool = False):
        """One evaluation step on exactly this batch; returns its loss and metrics."""
        self._assert_compiled("test_on_batch")
        if reset_metrics:
            self.reset_metrics()
        logs = to_logs(self.make_test_function()(self._single_batch(x, y, sample_weight)))
        return logs if return_dict else self._logs_as_list(logs)

    def predict_on_batch(self, x):
        """The model's outputs for exactly this batch, as NumPy arrays."""
        batch = self._single_batch(x, None, None)
        return nest.map_structure(np.asarray, self.make_predict_function()(batch))
