"""`trace(path)`: record eager ops, graph nodes and compiled kernels as a Chrome trace.

The file is the JSON object format `chrome://tracing` and Perfetto read: complete events
(`"ph": "X"`) with microsecond timestamps. Three hooks, all undone when the block ends:
- eager ops: a profiling eager context is pushed on this thread's context stack;
- function calls: `ConcreteFunction.call_flat` is wrapped for the block, one event per call;
- graph nodes and compiled segments: the generated straight-line code of the interpreter and of
  each compiled plan looks its callees up in its globals, so those entries are wrapped in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator

from fuseflow.core import context
from fuseflow.core.context import EagerContext
from fuseflow.graph import concrete as concrete_module

_now_us = lambda: time.perf_counter_ns() / 1000.0


class TraceRecorder:
    """Collects complete events; `write(path)` saves them as Chrome trace JSON."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def add(self, name: str, category: str, start_us: float, end_us: float,
            args: dict | None = None) -> None:
        """Record one event that ran from `start_us` to `end_us`."""
        event = {"name": name, "cat": category, "ph": "X", "ts": start_us,
                 "dur": max(end_us - start_us, 0.0), "pid": self._pid,
                 "tid": threading.get_ident()}
        if args:
            event["args"] = args
        with self._lock:
            self.events.append(event)

    def timed(self, fn, name: str, category: str, args: dict | None = None):
        """`fn` wrapped so each call is recorded as an event."""

        def call(*a, **k):
            start = _now_us()
            try:
                return fn(*a, **k)
            finally:
                self.add(name, category, start, _now_us(), args)

        call.__wrapped__ = fn
        return call

    def to_json(self) -> dict:
        return {"traceEvents": list(self.events), "displayTimeUnit": "ms"}

    def write(self, path: str) -> None:
        """Write the events to `path` (parent folders created)."""
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with open(path, "w") as f:
            json.dump(self.to_json(), f)


class ProfilingEagerContext(EagerContext):
    """Eager execution that records one event per op."""

    def __init__(self, recorder: TraceRecorder):
        self.recorder = recorder

    def execute(self, opdef, inputs, attrs, name):
        start = _now_us()
        try:
            return super().execute(opdef, inputs, attrs, name)
        finally:
            shapes = [str(getattr(t, "spec", None) and t.spec.short()) for t in inputs]
            self.recorder.add(opdef.name, "eager_op", start, _now_us(), {"inputs": shapes})


def _instrument_generated(run, recorder: TraceRecorder, label) -> list[tuple[dict, str, object]]:
    """Wrap the callees of generated code `run` in place; return what to restore."""
    names = getattr(run, "__globals__", None)
    if names is None:
        return []
    undo = []
    for key, value in list(names.items()):
        description = label(key)
        if description is None or not callable(value):
            continue
        name, category, args = description
        undo.append((names, key, value))
        names[key] = recorder.timed(value, name, category, args)
    return undo


def _interpreter_labels(graph):
    def label(key: str):
        if not (key.startswith("f") and key[1:].isdigit()):
            return None
        node = int(key[1:])
        return (graph.node_name(node), "graph_node",
                {"op": graph.op(node), "node": node, "source": graph.source(node) or ""})
    return label


def _plan_labels(graph_name: str):
    def label(key: str):
        if key.startswith("seg") and key[3:].isdigit():
            return f"{graph_name}/kernel_segment_{key[3:]}", "compiled_kernel", None
        if key.startswith("call") and key[4:].isdigit():
            return f"{graph_name}/numpy_fallback_{key[4:]}", "compiled_fallback", None
        return None
    return label


class _Instrumenter:
    """Wraps each executable's generated code once per trace block and undoes it at the end."""

    def __init__(self, recorder: TraceRecorder):
        self.recorder = recorder
        self.undo: list[tuple[dict, str, object]] = []
        self.seen: set[int] = set()

    def executable(self, executable, graph) -> None:
        runs = []
        if hasattr(executable, "_runners"):  # a compiled graph: one plan per input shapes
            runs = [(r.run, _plan_labels(graph.name)) for r in executable._runners.values()]
        elif hasattr(executable, "run"):
            run = getattr(executable.run, "unguarded", executable.run)
            runs = [(run, _interpreter_labels(graph))]
        for run, label in runs:
            if id(run) not in self.seen:
                self.seen.add(id(run))
                self.undo += _instrument_generated(run, self.recorder, label)

    def restore(self) -> None:
        for names, key, value in reversed(self.undo):
            names[key] = value
        self.undo.clear()


def _call_hook(original, instrumenter: _Instrumenter, recorder: TraceRecorder):
    def call_flat(self, tensors):
        if not context.executing_eagerly() or context.active_tapes():
            return original(self, tensors)  # inlined or replayed: its ops are recorded as ops
        start = _now_us()
        executable = self.executable()
        instrumenter.executable(executable, self.graph)
        try:
            return original(self, tensors)
        finally:
            instrumenter.executable(executable, self.graph)  # plans exist after a first call
            kind = "graph" if hasattr(executable, "_line_nodes") else "compiled"
            recorder.add(self.name, f"{kind}_call", start, _now_us())
    return call_flat


@contextlib.contextmanager
def trace(path: str | None = None) -> Iterator[TraceRecorder]:
    """Record ops, graph nodes and kernels run in the block; write a Chrome trace to `path`.

    Open the file in `chrome://tracing` or https://ui.perfetto.dev. Only this thread's eager
    ops are recorded.

    Example:
        with fuseflow.profiler.trace("step.json"):
            train_step(x, y)
    """
    recorder = TraceRecorder()
    instrumenter = _Instrumenter(recorder)
    cls = concrete_module.ConcreteFunction
    original = cls.call_flat
    cls.call_flat = _call_hook(original, instrumenter, recorder)
    try:
        with context.pushed(ProfilingEagerContext(recorder)):
            yield recorder
    finally:
        cls.call_flat = original
        instrumenter.restore()
        if path is not None:
            recorder.write(path)
