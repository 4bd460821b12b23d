"""Variable reads and writes as ops: how traced graphs touch Variables.

Eagerly, `Variable` reads and writes go straight through the execution context; these ops exist
so a traced graph can say "read variable `var`" and "write it". `var` is the variable's unique
name, a key into the graph's `captures`. Executors (the interpreter, compiled plans) carry them
out against the captured Variable; `impl` is never called with a variable.
"""

from __future__ import annotations

import weakref

from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec

STATE_OPS = ("read_variable", "assign", "assign_add", "assign_sub")

# Variables named by graphs, so `read_variable` can infer its spec from the `var` attr alone.
_VARIABLES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def register_variable(variable) -> str:
    """Make `variable` findable by its key (its unique name); return the key."""
    _VARIABLES[variable.name] = variable
    return variable.name


def lookup_variable(key: str):
    """The live Variable registered under `key`; KeyError if there is none."""
    try:
        return _VARIABLES[key]
    except KeyError:
        raise KeyError(f"no live variable named {key!r}") from None


def _executor_only(name: str):
    def impl(*arrays, **attrs):
        raise InvalidArgumentError(name, "state ops run only inside a graph executor, against "
                                   "the graph's captured variables")

    return impl


def _read_infer(*, var: str) -> TensorSpec:
    return lookup_variable(var).spec


def _assign_infer(value: TensorSpec, *, var: str) -> tuple:
    return ()  # a write has no outputs: executors order it by control edges


define_op("read_variable", kind=OpKind.STATE, infer=_read_infer,
          impl=_executor_only("read_variable"), pure=False, foldable=False)
for _mode in STATE_OPS[1:]:
    define_op(_mode, kind=OpKind.STATE, infer=_assign_infer, impl=_executor_only(_mode),
              pure=False, foldable=False)
