"""`fuseflow.summary`: TensorBoard summaries, as `tf.summary`.

    writer = fuseflow.summary.create_file_writer("logs/run1")
    with writer.as_default():
        fuseflow.summary.scalar("loss", 0.25, step=3)

Inside a `@fuseflow.function` each call of the traced function writes (the write is a
`py_function` node), using the writer that was the default when the function was traced.
"""

from __future__ import annotations

import types

import numpy as np

from fuseflow.core import context
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.graph.effects import py_function
from fuseflow.runtime import summary as _impl
from fuseflow.runtime.summary import NoopWriter, SummaryWriter

__all__ = ["SummaryWriter", "create_file_writer", "create_noop_writer", "experimental", "flush",
           "histogram", "record_if", "scalar", "should_record_summaries"]


def create_file_writer(logdir, max_queue: int | None = None, flush_millis: int | None = None,
                       filename_suffix: str | None = None, name: str | None = None,
                       experimental_trackable: bool = False) -> SummaryWriter:
    """Create a writer of event files in `logdir` (created if missing).

    Returns:
        A `SummaryWriter`; use `writer.as_default()` to send `summary.scalar` calls to it.
    """
    return SummaryWriter(logdir, max_queue, flush_millis, filename_suffix)


def create_noop_writer() -> SummaryWriter:
    """A writer that discards everything written to it."""
    return NoopWriter()


def record_if(condition):
    """Record summaries in the `with` block only when `condition` (a bool, a boolean tensor or a
    callable returning one, evaluated at each write) holds."""
    return _impl.recording_scope(condition)


def should_record_summaries() -> bool:
    """Whether a summary written now would be recorded (a writer and a true condition)."""
    writer = _impl.default_writer()
    return writer is not None and not isinstance(writer, NoopWriter) and _condition_holds(
        _impl.recording_condition())


def _condition_holds(condition) -> bool:
    if callable(condition):
        condition = condition()
    return bool(np.asarray(condition.numpy() if isinstance(condition, Tensor) else condition))


def _resolve_step(step, op: str):
    step = _impl.get_step() if step is None else step
    if step is None:
        raise ValueError(f"summary.{op}: no step set. Pass `step=` or call "
                         "`fuseflow.summary.experimental.set_step(step)` first")
    return step


def _check_numeric(name, data, op: str) -> Tensor:
    if not isinstance(name, str) or not name:
        raise ValueError(f"summary.{op}: `name` must be a non-empty string, received {name!r}")
    data = convert_to_tensor(data)
    if not (data.dtype.is_floating or data.dtype.is_integer or data.dtype.is_bool):
        raise ValueError(f"summary.{op}({name!r}): `data` must be numeric, received dtype "
                         f"{data.dtype.name}")
    return data


def _write(op: str, data: Tensor, step, write) -> object:
    """Run `write(values, step)` now (eager) or on every call of the traced graph."""
    writer = _impl.default_writer()
    if writer is None or isinstance(writer, NoopWriter):
        return False
    condition = _impl.recording_condition()
    # A tensor condition travels as an input, so a traced one is read at each call.
    inputs = [data, convert_to_tensor(step)]
    if isinstance(condition, Tensor):
        inputs.append(condition)
    if not inputs[1].dtype.is_integer or inputs[1].ndim != 0:
        raise ValueError(f"summary.{op}: `step` must be a scalar int, received {step!r}")

    def record(values, step_value, *held) -> bool:
        if not _condition_holds(held[0] if held else condition):
            return False
        write(writer, np.asarray(values.numpy()), int(np.asarray(step_value.numpy())))
        return True

    if context.executing_eagerly():
        return record(*inputs)
    return py_function(record, inputs, Tout="bool")


def scalar(name: str, data, step=None, description: str | None = None):
    """Write a scalar summary `name` = `data` at `step` to the default writer.

    Returns:
        True when written, False when there is no default writer or recording is off.

    Raises:
        ValueError: `data` is not a numeric scalar, or no step is given or set.
    """
    data = _check_numeric(name, data, "scalar")
    if data.ndim != 0:
        raise ValueError(f"summary.scalar({name!r}): `data` must be a scalar, received shape "
                         f"{tuple(data.shape)}")
    if _impl.default_writer() is None:
        return False
    return _write("scalar", data, _resolve_step(step, "scalar"),
                  lambda writer, value, at: writer.write_scalar(name, float(value), at))


def histogram(name: str, data, step=None, buckets: int | None = None,
              description: str | None = None):
    """Write a histogram of `data` (`buckets` equal-width buckets, 30 by default) at `step`."""
    data = _check_numeric(name, data, "histogram")
    count = 30 if buckets is None else buckets
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"summary.histogram({name!r}): `buckets` must be a positive int, "
                         f"received {buckets!r}")
    if _impl.default_writer() is None:
        return False
    return _write("histogram", data, _resolve_step(step, "histogram"),
                  lambda writer, value, at: writer.write_histogram(name, value, at, count))


def flush(writer: SummaryWriter | None = None, name: str | None = None) -> None:
    """Flush `writer` (the default writer when None) to disk."""
    writer = writer or _impl.default_writer()
    if writer is not None:
        writer.flush()


experimental = types.SimpleNamespace(get_step=_impl.get_step, set_step=_impl.set_step)
