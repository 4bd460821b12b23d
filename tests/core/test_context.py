"""The execution-context stack and tapes belong to one thread each."""

from __future__ import annotations

import threading

import numpy as np

import fuseflow as ff
from fuseflow.core import context


def _in_thread(fn):
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("value", fn()))
    worker.start()
    worker.join()
    return result["value"]


def test_a_trace_on_one_thread_does_not_capture_another_threads_ops():
    seen = []

    @ff.function
    def traced(x):
        seen.append(_in_thread(lambda: (context.executing_eagerly(),
                                        (ff.constant([1.0, 2.0]) * 2.0).numpy())))
        return x + 1.0

    traced(ff.constant([0.0]))
    eager, value = seen[0]
    assert eager and np.array_equal(value, [2.0, 4.0])


def test_a_tape_records_only_its_own_threads_ops():
    x = ff.Variable(3.0)
    with ff.GradientTape() as tape:
        _in_thread(lambda: x * x)  # another thread's op: not part of this tape's computation
        assert _in_thread(context.active_tapes) == []
        y = x * 2.0
    assert float(tape.gradient(y, x)) == 2.0
