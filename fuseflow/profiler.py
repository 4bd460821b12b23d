"""`fuseflow.profiler`: compare eager, graph and compiled; Chrome traces; a Keras callback.

    report = fuseflow.profiler.compare(train_step, x, y)   # times and checks the three modes
    print(report)
    with fuseflow.profiler.trace("step.json"):             # chrome://tracing or Perfetto
        train_step(x, y)
    model.fit(x, y, callbacks=[fuseflow.profiler.Profile()])
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fuseflow.keras_api.callbacks.base import Callback
from fuseflow.runtime.chrome_trace import TraceRecorder, trace
from fuseflow.runtime.profiler import (
    MODES,
    KernelStats,
    ModeMismatchError,
    ModeStats,
    Report,
    compare,
    machine_peak,
)

__all__ = ["MODES", "KernelStats", "ModeMismatchError", "ModeStats", "Profile", "Report",
           "TraceRecorder", "compare", "machine_peak", "trace"]


class Profile(Callback):
    """Split a `fit` run's time into input data, train steps, setup and the rest.

    `data` is the time between one batch's end hook and the next batch's begin hook (fetching
    and converting the batch), `step` the time between a batch's begin and end hooks (the train
    step itself), `setup` the tracing and compiling `fit` reports, and `callbacks` the rest of
    each epoch (callback hooks, validation, metric reads). Put it first in `callbacks` so the
    other callbacks' batch hooks fall outside the step.

    Args:
        print_fn: called with the summary table when training ends (None: stay quiet).
    """

    def __init__(self, print_fn: Callable[[str], None] | None = print):
        super().__init__()
        self.print_fn = print_fn
        self.seconds: dict[str, float] = {}
        self.steps = 0
        self._mark = 0.0
        self._step_start = 0.0
        self._epoch_start = 0.0

    def on_train_begin(self, logs=None) -> None:
        self.seconds = {"data": 0.0, "step": 0.0, "setup": 0.0, "callbacks": 0.0, "total": 0.0}
        self.steps = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch_start = self._mark = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        now = time.perf_counter()
        self.seconds["data"] += now - self._mark
        self._step_start = now

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        now = time.perf_counter()
        self.seconds["step"] += now - self._step_start
        self.steps += 1
        self._mark = now

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        total = time.perf_counter() - self._epoch_start
        setup = getattr(self.model, "_setup_seconds", None) or {}
        seconds = self.seconds
        seconds["setup"] += min(setup.get("total", 0.0), seconds["step"])
        seconds["total"] += total
        seconds["callbacks"] = max(seconds["total"] - seconds["data"] - seconds["step"], 0.0)

    def on_train_end(self, logs=None) -> None:
        if self.print_fn is not None:
            self.print_fn(self.table())

    def table(self) -> str:
        """The split as a small text table."""
        s = self.seconds
        per_step = (s.get("step", 0.0) - s.get("setup", 0.0)) / max(self.steps, 1)
        lines = ["fit profile     seconds   share"]
        total = s.get("total", 0.0) or 1e-12
        for key in ("data", "step", "callbacks"):
            lines.append(f"  {key:<12} {s.get(key, 0.0):8.3f}  {s.get(key, 0.0) / total:6.1%}")
        lines.append(f"  {'(setup)':<12} {s.get('setup', 0.0):8.3f}  trace + compile, in step")
        lines.append(f"  {'total':<12} {s.get('total', 0.0):8.3f}  {self.steps} steps, "
                     f"{per_step * 1e6:,.0f} µs per step after setup")
        return "\n".join(lines)
