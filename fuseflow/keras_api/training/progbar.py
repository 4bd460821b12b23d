"""The tf.keras 2 text progress bar, plus the trace/compile time Keras does not show.

    469/469 [======...======] - 2s 3ms/step (trace 0.04s, compile 0.31s) - loss: 0.2416

While running (verbose=1) the line is redrawn in place with an ETA; verbose=2 prints one line
per epoch. Time spent tracing and compiling is reported on its own and left out of the
per-step time.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

_WIDTH = 30


def _format_value(value) -> str:
    if isinstance(value, str):
        return f" {value}"
    value = float(np.mean(value))  # a non-scalar log shows its mean, as Keras does
    return f" {value:.4f}" if abs(value) > 1e-3 else f" {value:.4e}"


def format_duration(seconds: float, unit: str) -> str:
    """` 3ms/step`: whole seconds, milliseconds or microseconds per unit."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def format_eta(seconds: float) -> str:
    """`1:02:05`, `1:15` or `4s`, as Keras prints an ETA."""
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _dynamic_display(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) or "ipykernel" in sys.modules or (
        "PYCHARM_HOSTED" in os.environ)


class Progbar:
    """A progress bar: `update(current, values)` after each step, `finalize=True` at the end.

    Args:
        target: total steps, or None when unknown.
        width: characters of the bar.
        verbose: 1 redraws a bar (final line only when not a terminal), 2 prints the final line,
            0 prints nothing.
        stateful_metrics: names whose values are shown as given; other values are averaged
            over the steps seen, as Keras does.
        interval: minimum seconds between redraws.
        unit_name: what a step is called (`step`, `sample`).
    """

    def __init__(self, target: int | None, width: int = _WIDTH, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics=None, unit_name: str = "step",
                 stream=None):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        # A collection of names, or any object answering `in` (ProgbarLogger: every name).
        self.stateful_metrics = (set(stateful_metrics or ()) if stateful_metrics is None or
                                 hasattr(stateful_metrics, "__iter__") else stateful_metrics)
        self.stream = stream
        self.excluded_seconds = 0.0  # trace/compile time left out of the per-step time
        self.setup_note = ""  # e.g. "(trace 0.04s, compile 0.31s)"
        self._values: dict[str, list] = {}
        self._order: list[str] = []
        self._seen = 0
        self._start = time.perf_counter()
        self._last_update = 0.0
        self._last_width = 0

    @property
    def _out(self):
        return self.stream or sys.stdout

    def _accumulate(self, current: int, values) -> None:
        for name, value in values or []:
            if name not in self._order:
                self._order.append(name)
            if name in self.stateful_metrics or isinstance(value, str):
                self._values[name] = [value, 1]
                continue
            weight = max(current - self._seen, 1)
            total = self._values.setdefault(name, [0.0, 0])
            total[0] += float(np.mean(value)) * weight
            total[1] += weight
        self._seen = current

    def _value_text(self) -> str:
        text = ""
        for name in self._order:
            total, count = self._values[name]
            value = total if isinstance(total, str) else total / max(count, 1)
            text += f" - {name}:{_format_value(value)}"
        return text

    def _per_step(self, current: int, now: float) -> float:
        elapsed = max(now - self._start - self.excluded_seconds, 0.0)
        return elapsed / current if current else 0.0

    def _bar(self, current: int) -> str:
        if self.target is None:
            return f"{current:7d}/Unknown"
        digits = len(str(self.target))
        done = int(self.width * current / self.target) if self.target else self.width
        bar = f"{current:{digits}d}/{self.target} ["
        if done > 0:
            bar += "=" * (done - 1) + (">" if current < self.target else "=")
        return bar + "." * (self.width - done) + "]"

    def line(self, current: int, finalize: bool, now: float | None = None) -> str:
        """The text the bar shows after `current` steps (no line ending)."""
        now = time.perf_counter() if now is None else now
        note = f" {self.setup_note}" if self.setup_note else ""
        per_step = self._per_step(current, now)
        if self.verbose == 2:
            count = f"{current:{len(str(self.target or current))}d}/{self.target or current}"
            total = now - self._start
            epoch_time = format_duration(total, "epoch")
            step_time = format_duration(per_step, self.unit_name)
            return f"{count} - {total:.0f}s{self._value_text()} -{epoch_time} -{step_time}{note}"
        if finalize or self.target is None:
            timing = f" - {now - self._start:.0f}s{format_duration(per_step, self.unit_name)}"
            return self._bar(current) + timing + note + self._value_text()
        eta = per_step * (self.target - current)
        return f"{self._bar(current)} - ETA: {format_eta(eta)}{self._value_text()}"

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Record progress to step `current` with `values` as (name, value) pairs."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values)
        if self.verbose == 0 or (self.verbose == 2 and not finalize):
            return
        now = time.perf_counter()
        dynamic = _dynamic_display(self._out)
        if not finalize and (not dynamic or now - self._last_update < self.interval):
            return
        text = self.line(current, finalize, now)
        if dynamic and self.verbose == 1:
            padding = " " * max(self._last_width - len(text), 0)
            self._out.write("\r" + text + padding + ("\n" if finalize else ""))
        else:
            self._out.write(text + "\n")
        self._last_width = len(text)
        self._out.flush()
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """Advance by `n` steps."""
        self.update(self._seen + n, values)
