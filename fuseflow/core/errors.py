"""Errors with TF's names; each names the op, its inputs and the user's line that called it."""

from __future__ import annotations

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SKIP_PREFIXES = (_PACKAGE_DIR + os.sep, "<frozen ", "<fuseflow ")  # plans run generated code


def user_source(depth: int = 2) -> str:
    """The `file:line` of the innermost frame outside fuseflow (the user's call site)."""
    frame = sys._getframe(depth)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_PREFIXES):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class OpError(Exception):
    """Base of fuseflow's runtime errors; `op` names the op that failed (or None)."""

    def __init__(self, op: str | None, message: str, inputs: str | None = None,
                 source: str | None = None):
        self.op = op
        self.message = message
        self.inputs = inputs
        self.source = source if source is not None else user_source()
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.op}: {self.message}" if self.op else self.message
        if self.inputs:
            text += f" (inputs: {self.inputs})"
        return f"{text}\n  called from {self.source}"

    def __reduce__(self):
        return type(self), (self.op, self.message, self.inputs, self.source)


class InvalidArgumentError(OpError, ValueError):
    """An op received arguments of the wrong shape, dtype or value."""


class NotFoundError(OpError):
    """A file or resource does not exist."""


class OutOfRangeError(OpError):
    """An iterator ran out, or an index is past the end."""


class UnimplementedError(OpError):
    """The operation is not supported."""


class ResourceExhaustedError(OpError):
    """Memory or another resource ran out."""


class FailedPreconditionError(OpError):
    """An operation was run on an object in the wrong state."""
