"""The execution-context stack and `bind`, the one seam every op call goes through.

The eager executor is the base context. Floors above push their own (tracing pushes a context
that records graph nodes), which is how the same op call runs eagerly or becomes a node.
Active gradient tapes see every op after it ran, in any context.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import TYPE_CHECKING

import numpy as np

from fuseflow.core.errors import InvalidArgumentError, OpError
from fuseflow.core.registry import _REGISTRY, OpDef
from fuseflow.core.tensor import wrap

if TYPE_CHECKING:
    from fuseflow.core.tensor import Tensor
    from fuseflow.core.variable import Variable


class ExecutionContext:
    """How ops, variable reads and variable writes are carried out."""

    executing_eagerly = True

    def execute(self, opdef: OpDef, inputs: tuple, attrs: dict, name: str | None):
        raise NotImplementedError

    def read_variable(self, variable: Variable) -> Tensor:
        raise NotImplementedError

    def assign_variable(self, variable: Variable, value: Tensor, mode: str) -> None:
        """Write `value` into `variable`; mode is "assign", "assign_add" or "assign_sub"."""
        raise NotImplementedError

    def initial_value(self, value: Tensor) -> np.ndarray:
        """The concrete array a new Variable starts from (tracing evaluates constant graphs)."""
        raise NotImplementedError

    def variable_created(self, variable: Variable) -> None:
        """Called for each new Variable (tracing uses it to enforce first-trace-only creation)."""


def describe_inputs(inputs) -> str:
    """`float32[2,3], int32[]` for an error message."""
    parts = []
    for t in inputs:
        spec = getattr(t, "spec", None)
        parts.append(spec.short() if spec is not None else type(t).__name__)
    return ", ".join(parts)


def _annotated(error: OpError, opdef: OpDef, inputs) -> OpError:
    """The same error with the op's inputs named; keeps the user's line found at raise time."""
    return type(error)(error.op or opdef.name, error.message, describe_inputs(inputs), error.source)


def op_error(opdef: OpDef, inputs, attrs: dict, cause: Exception) -> OpError:
    """Turn a failure inside `impl` into an InvalidArgumentError that names the op.

    Inference is asked first: it knows the op's rules and says what is wrong in its terms.
    """
    if isinstance(cause, OpError):
        return _annotated(cause, opdef, inputs)
    try:
        opdef.infer(*(t.spec for t in inputs), **attrs)
    except OpError as error:
        return _annotated(error, opdef, inputs)
    except Exception:  # inference itself tripped on the bad input: report the original cause
        pass
    return InvalidArgumentError(opdef.name, f"{type(cause).__name__}: {cause}",
                                describe_inputs(inputs))


def updated_value(old: np.ndarray, value: np.ndarray, mode: str) -> np.ndarray:
    """A variable's next array after an assign of `mode` ("assign", "assign_add", "assign_sub").

    Always a new array, so tensors read earlier keep their values.
    """
    if mode == "assign_add":
        value = old + value
    elif mode == "assign_sub":
        value = old - value
    elif value.dtype != old.dtype or not value.flags.c_contiguous:
        value = np.ascontiguousarray(value, dtype=old.dtype)
    return value if type(value) is np.ndarray else np.asarray(value)  # 0-d math gives scalars


def _update_in_place(variable, value: np.ndarray, mode: str) -> bool:
    """`v.assign_add/assign_sub` without a new array, when nothing but the variable (and its
    cached read tensor) holds the old one: no tensor, view or `.numpy()` result can see the
    change. This is what lets an eager SGD step update weights as cheaply as NumPy's `w -= g`."""
    old, cached = variable._value, variable._tensor
    # References: variable._value, `old`, getrefcount's argument (+ the cached tensor's _value).
    if sys.getrefcount(old) != 3 + (cached is not None):
        return False
    if cached is not None and sys.getrefcount(cached) != 3:  # variable._tensor, `cached`, arg
        return False
    if (old.base is not None or not old.flags.writeable or value.dtype != old.dtype
            or np.broadcast_shapes(old.shape, value.shape) != old.shape):
        return False
    (np.add if mode == "assign_add" else np.subtract)(old, value, out=old)
    return True


class EagerContext(ExecutionContext):
    """Runs each op at once with its NumPy implementation."""

    def execute(self, opdef, inputs, attrs, name):
        try:
            result = opdef.impl(*[t._value for t in inputs], **attrs)
        except Exception as cause:
            raise op_error(opdef, inputs, attrs, cause) from None
        if type(result) is tuple or type(result) is list:
            return tuple(wrap(r) for r in result)
        return wrap(result)

    def read_variable(self, variable):
        tensor = variable._tensor
        if tensor is None:
            tensor = variable._tensor = wrap(variable._value)
        return tensor

    def assign_variable(self, variable, value, mode):
        if mode != "assign" and _update_in_place(variable, value._value, mode):
            return
        variable._value = updated_value(variable._value, value._value, mode)
        variable._tensor = None

    def initial_value(self, value):
        return value._value


_EAGER = EagerContext()


class ThreadState(threading.local):
    """Each thread's context stack and recording tapes: a trace or tape on one thread (the user's
    training step) never sees ops run by another (a dataset's prefetch worker)."""

    def __init__(self) -> None:
        self.stack: list[ExecutionContext] = [_EAGER]
        self.tapes: list = []  # recording GradientTapes, innermost last
        self.needed: tuple[bool, ...] | None = None  # see `gradient_needed`


state = ThreadState()

# Pushed contexts and entered tapes over all threads. A hot path that is valid only when no
# thread traces or records (a compiled call's fast path) checks this one number instead of
# thread-local state; another thread's activity merely sends it down the general path.
busy = [0]
_busy_lock = threading.Lock()


def _count(delta: int) -> None:
    with _busy_lock:
        busy[0] += delta


def gradient_needed(index: int) -> bool:
    """Inside an op's `grad`: whether the tape wants the gradient of input `index`.

    A gradient may skip work nobody asked for (the input gradient of a network's first matmul
    or conv is as costly as the weight gradient); False is only a hint, None is always allowed.
    """
    needed = state.needed
    return needed is None or needed[index]


def active_tapes() -> list:
    """This thread's recording GradientTapes, innermost last (the live list)."""
    return state.tapes


def enter_tape(tape) -> None:
    """Make `tape` record this thread's ops."""
    state.tapes.append(tape)
    _count(1)


def exit_tape(tape) -> None:
    """Stop `tape` recording (a no-op when it is not recording)."""
    if tape in state.tapes:
        state.tapes.remove(tape)
        _count(-1)


def current() -> ExecutionContext:
    """The innermost execution context."""
    return state.stack[-1]


@contextlib.contextmanager
def pushed(context: ExecutionContext):
    """Run the body under `context`."""
    stack = state.stack
    stack.append(context)
    _count(1)
    try:
        yield context
    finally:
        stack.pop()
        _count(-1)


@contextlib.contextmanager
def eager_scope():
    """Run the body eagerly, even inside a trace (TF's `init_scope`)."""
    with pushed(_EAGER):
        yield


def executing_eagerly() -> bool:
    """True unless a trace is being recorded, like `tf.executing_eagerly()`."""
    return state.stack[-1].executing_eagerly


def bind(op_name: str, *inputs: Tensor, name: str | None = None, **attrs):
    """Run op `op_name` on `inputs` in the current context and let active tapes record it."""
    opdef = _REGISTRY[op_name]
    local = state
    out = local.stack[-1].execute(opdef, inputs, attrs, name)
    tapes = local.tapes
    if tapes and opdef.differentiable:
        for tape in tapes:
            tape._record(opdef, inputs, attrs, out)
    return out


def read_variable(variable: Variable) -> Tensor:
    """The variable's current value as a tensor of the current context."""
    tensor = state.stack[-1].read_variable(variable)
    for tape in state.tapes:
        tape._variable_read(variable, tensor)
    return tensor


def assign_variable(variable: Variable, value: Tensor, mode: str) -> None:
    state.stack[-1].assign_variable(variable, value, mode)
