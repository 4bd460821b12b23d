"""User functions of `map` and `filter`: run as traced graphs when possible, eagerly otherwise.

TF traces dataset functions into graphs. fuseflow does the same through `fuseflow.function`
(the graph floor, imported lazily) and falls back to eager execution when the graph floor is
missing or the trace fails, logging the reason once per function.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable

from fuseflow.core import nest
from fuseflow.data import structure

logger = logging.getLogger("fuseflow")
_graph_missing_logged = False


_TRACED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _traced(fn: Callable):
    """One traced Function per user function, so datasets mapping it share its traces."""
    from fuseflow.graph.function import function  # lazy: graph is an optional floor here

    try:
        found = _TRACED.get(fn)
    except TypeError:  # not weak-referenceable
        return function(fn, reduce_retracing=True)
    if found is None:
        found = _TRACED[fn] = function(fn, reduce_retracing=True)
    return found


class UserFunction:
    """Call a user function on an element; its result is normalized to an element."""

    def __init__(self, fn: Callable, what: str, trace: bool = True):
        if not callable(fn):
            raise TypeError(f"{what}: expected a callable, got {fn!r}")
        self.fn = fn
        self.what = what
        self._traced = None
        self._eager = not trace

    def call_raw(self, element):
        """The function's result on `element`, before normalization."""
        args = structure.as_args(element)
        if self._eager:
            return self.fn(*args)
        try:
            if self._traced is None:
                self._traced = _traced(self.fn)
            return self._traced(*args)
        except ImportError as error:
            self._eager = True
            _log_graph_missing(error)
            return self.fn(*args)
        except Exception as error:  # a trace that fails falls back; eager errors propagate
            result = self.fn(*args)
            self._eager = True
            logger.warning("%s: the function %s could not run as a traced graph (%s: %s); "
                           "running it eagerly instead.", self.what, _name(self.fn),
                           type(error).__name__, error)
            return result

    def traced_spec(self, input_spec):
        """The output spec found by tracing on `input_spec` (as TF infers it), or None."""
        if self._eager:
            return None
        try:
            if self._traced is None:
                self._traced = _traced(self.fn)
            args = input_spec if type(input_spec) is tuple else (input_spec,)
            outputs = self._traced.get_concrete_function(*args).structured_outputs
            outputs = structure.normalize_lists(outputs)
            return nest.map_structure(lambda t: structure.make_spec(t.shape, t.dtype), outputs)
        except Exception:  # untraceable functions get their spec from a probe instead
            return None

    def __call__(self, element):
        return structure.normalize_output(self.call_raw(element), f"{self.what} function")


def _log_graph_missing(error: Exception) -> None:
    global _graph_missing_logged
    if not _graph_missing_logged:
        _graph_missing_logged = True
        logger.info("tf.data functions run eagerly: the graph floor is unavailable (%s)", error)


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
