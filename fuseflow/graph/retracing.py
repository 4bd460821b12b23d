"""Why a function traced again: each retrace recorded with its cause and the caller's line.

A warning names the cause once a function retraces 5 times within 10 calls (TF's threshold),
and when the same Python function is traced by 5 separately created `function` objects (a
`function` made inside a loop). `fuseflow.config.explain_retracing(True)` prints every retrace.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass

from fuseflow.core.errors import user_source
from fuseflow.graph.signature import explain_difference

RETRACE_LIMIT = 5
CALL_WINDOW = 10
_EXPLAIN = [False]
_objects_per_code: dict = {}  # code object -> how many `function` objects traced it


class RetracingWarning(UserWarning):
    """A traced function keeps tracing again; the message says which argument causes it."""


def explain_retracing(enabled: bool = True) -> None:
    """Print the cause of every retrace as it happens."""
    _EXPLAIN[0] = bool(enabled)


@dataclass(frozen=True)
class Retrace:
    """One trace after the first: its causes and where the call came from."""

    trace: int
    call: int
    reasons: tuple[str, ...]
    caller: str

    def text(self, name: str) -> str:
        lines = [f"retrace #{self.trace} of {name} (call {self.call}, from {self.caller}):"]
        return "\n".join(lines + [f"  {reason}" for reason in self.reasons])


class History:
    """The traces of one `function` object and the reasons for each retrace."""

    def __init__(self, name: str, python_function, bound: bool, created_at: str):
        self.name = name
        self.records: list[Retrace] = []
        self._code = None if bound else getattr(python_function, "__code__", None)
        self._created_at = created_at
        self._last_key = None
        self._traces = 0
        self._warned = False

    def traced(self, function, key: tuple, names: list[str], call: int) -> None:
        """Record a trace for `key` made on call number `call`."""
        self._traces += 1
        if self._last_key is None:
            reasons = self._new_object_reasons()
        else:
            reasons = explain_difference(names, self._last_key, key)
        self._last_key = key
        if reasons:
            self._record(Retrace(self._traces, call, tuple(reasons), user_source()))

    def _new_object_reasons(self) -> list[str]:
        if self._code is None:
            return []
        count = _objects_per_code[self._code] = _objects_per_code.get(self._code, 0) + 1
        if count == 1:
            return []
        reason = (f"new function object created for `{self.name}` (at {self._created_at}); a "
                  f"`function` created inside a loop or per call traces every time: create it "
                  f"once and reuse it")
        if count == RETRACE_LIMIT:
            warnings.warn(f"{self.name}: {count} separate function objects traced the same "
                          f"Python function: {reason}", RetracingWarning, stacklevel=5)
        return [reason]

    def _record(self, retrace: Retrace) -> None:
        self.records.append(retrace)
        if _EXPLAIN[0]:
            print(retrace.text(self.name), file=sys.stderr)
        recent = [r for r in self.records if retrace.call - r.call < CALL_WINDOW]
        if len(recent) >= RETRACE_LIMIT and not self._warned and self._last_key is not None:
            self._warned = True
            warnings.warn(
                f"{self.name} retraced {len(recent)} times in the last {CALL_WINDOW} calls; "
                f"retracing is expensive. Latest cause: {'; '.join(retrace.reasons)} "
                f"(call from {retrace.caller}). See {self.name}.explain_retracing().",
                RetracingWarning, stacklevel=5)

    def text(self) -> str:
        """Every retrace so far, one block each."""
        if not self.records:
            return f"{self.name} has not retraced ({self._traces} trace(s))."
        return "\n".join(r.text(self.name) for r in self.records)
