"""GradientTape: records ops on watched values and runs their gradients backwards.

Gradients are written with public ops, so `gradient()` inside a traced function records graph
nodes: a whole training step becomes one graph. Tensors are tracked by `id()`; every tracked
tensor is kept alive by the tape, so an id is never reused while the tape holds it.
"""

from __future__ import annotations

import enum
import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from fuseflow.core import context, nest
from fuseflow.core.registry import OpDef, OpKind
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.core.variable import Variable


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


@dataclass(slots=True)
class _Entry:
    opdef: OpDef
    inputs: tuple
    attrs: dict
    outputs: Tensor | tuple


def _is_differentiable(tensor) -> bool:
    dtype = tensor.dtype
    return dtype.is_floating


class GradientTape:
    """Record operations for automatic differentiation, like `tf.GradientTape`."""

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._recording = False
        self._used = False
        self.reset()

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self._entries: list[_Entry] = []
        self._tracked: dict[int, Tensor] = {}  # id -> tensor, keeps tracked tensors alive
        self._variables: dict[int, tuple[Variable, list[Tensor]]] = {}
        self._watched_variables: dict[int, Variable] = {}

    # -- recording -------------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        self._push()
        return self

    def __exit__(self, *exc) -> None:
        self._pop()

    def _push(self) -> None:
        self._recording = True
        context.enter_tape(self)

    def _pop(self) -> None:
        self._recording = False
        context.exit_tape(self)

    def watch(self, tensor) -> None:
        """Track `tensor` (or each tensor/Variable in a nested structure)."""
        for item in nest.flatten(tensor):
            if isinstance(item, Variable):
                self._watched_variables[id(item)] = item
                self._variables.setdefault(id(item), (item, []))
            elif isinstance(item, Tensor):
                if not _is_differentiable(item):
                    warnings.warn(f"The dtype of the watched tensor must be floating, got "
                                  f"{item.dtype.name}", stacklevel=2)
                self._tracked[id(item)] = item
            else:
                raise ValueError(f"GradientTape.watch: expected a Tensor or Variable, got "
                                 f"{type(item).__name__}")

    def _variable_read(self, variable: Variable, tensor: Tensor) -> None:
        if not self._recording:
            return
        watched = id(variable) in self._watched_variables or (
            self._watch_accessed and variable.trainable)
        if watched and _is_differentiable(tensor):
            reads = self._variables.setdefault(id(variable), (variable, []))[1]
            if not reads or reads[-1] is not tensor:
                reads.append(tensor)
            self._tracked[id(tensor)] = tensor

    def _record(self, opdef: OpDef, inputs: tuple, attrs: dict, outputs) -> None:
        if not self._recording:
            return
        tracked = self._tracked
        if not any(id(t) in tracked for t in inputs):
            return
        self._entries.append(_Entry(opdef, inputs, attrs, outputs))
        for out in (outputs if type(outputs) is tuple else (outputs,)):
            if _is_differentiable(out):
                tracked[id(out)] = out

    def stop_recording(self):
        """Context manager in which ops are not recorded."""
        return _Paused(self)

    def watched_variables(self) -> tuple[Variable, ...]:
        """The variables this tape watched, in the order they were first read."""
        return tuple(var for var, reads in self._variables.values()
                     if reads or id(var) in self._watched_variables)

    # -- differentiation -------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of `target` (summed if not scalar) with respect to each of `sources`."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        self._used = True
        flat_sources = nest.flatten(sources)
        grads = self._gradient(nest.flatten(target), flat_sources,
                               None if output_gradients is None
                               else nest.flatten(output_gradients))
        grads = [self._finish(g, s, unconnected_gradients) for g, s in zip(grads, flat_sources)]
        if not self._persistent:
            self._release()
        return nest.pack_sequence_as(sources, grads)

    def _release(self) -> None:
        """A used non-persistent tape lets go of the tensors it recorded, so their arrays can be
        freed (and a variable updated in place) while the tape object is still in scope."""
        self._entries.clear()
        self._tracked.clear()
        for variable, reads in self._variables.values():
            if reads:
                self._watched_variables.setdefault(id(variable), variable)
                reads.clear()

    def _finish(self, grad, source, unconnected):
        if grad is None and UnconnectedGradients(unconnected) is UnconnectedGradients.ZERO:
            from fuseflow.core.ops.elementwise import zeros_like

            return zeros_like(source)
        return grad

    def _gradient(self, targets: list, sources: list, output_gradients: list | None) -> list:
        from fuseflow.core.ops.elementwise import add, ones_like

        recording = self._recording
        self._recording = False  # the backward pass is recorded only by outer tapes
        try:
            grads: dict[int, Tensor] = {}

            def accumulate(tensor, g):
                key = id(tensor)
                grads[key] = g if key not in grads else add(grads[key], g)

            for i, target in enumerate(targets):
                target = convert_to_tensor(target) if isinstance(target, Variable) else target
                if output_gradients is not None and output_gradients[i] is not None:
                    seed = convert_to_tensor(output_gradients[i], dtype=target.dtype)
                else:
                    seed = ones_like(target)
                if id(target) in self._tracked:
                    accumulate(target, seed)
            for entry in reversed(self._entries):
                self._backprop(entry, grads, accumulate)
            return [self._source_gradient(s, grads, add) for s in sources]
        finally:
            self._recording = recording and self in context.active_tapes()

    def _backprop(self, entry: _Entry, grads: dict, accumulate: Callable) -> None:
        outputs = entry.outputs
        if type(outputs) is tuple:
            gs = [grads.get(id(o)) for o in outputs]
            if all(g is None for g in gs):
                return
            from fuseflow.core.ops.elementwise import zeros_like

            g = tuple(zeros_like(o) if gi is None else gi for o, gi in zip(outputs, gs))
        else:
            g = grads.get(id(outputs))
            if g is None:
                return
        state = context.state
        saved, state.needed = state.needed, tuple(id(t) in self._tracked for t in entry.inputs)
        try:
            input_grads = entry.opdef.grad(g, outputs, *entry.inputs, **entry.attrs)
        finally:
            state.needed = saved
        for tensor, ig in zip(entry.inputs, input_grads):
            if ig is not None and id(tensor) in self._tracked:
                accumulate(tensor, ig)

    def _source_gradient(self, source, grads: dict, add: Callable):
        if isinstance(source, Variable):
            if not source.dtype.is_floating:
                warnings.warn(f"The dtype of the source tensor must be floating, got "
                              f"{source.dtype.name}", stacklevel=4)
                return None
            _, reads = self._variables.get(id(source), (source, []))
            found = [grads[id(t)] for t in reads if id(t) in grads]
        elif isinstance(source, Tensor):
            if not source.dtype.is_floating:
                warnings.warn(f"The dtype of the source tensor must be floating, got "
                              f"{source.dtype.name}", stacklevel=4)
                return None
            found = [grads[id(source)]] if id(source) in grads else []
        else:
            raise ValueError(f"GradientTape.gradient: a source must be a Tensor or Variable, "
                             f"got {type(source).__name__}")
        if not found:
            return None
        total = found[0]
        for g in found[1:]:
            total = add(total, g)
        return total

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...] with shape `target.shape + source.shape`."""
        from fuseflow.core.ops import movement

        self._check_once("jacobian")
        target = convert_to_tensor(target)
        flat_sources = nest.flatten(sources)
        size = target.shape.num_elements()
        rows = [self._gradient([target], flat_sources, [_one_hot_like(target, i)])
                for i in range(size)]
        results = []
        for k, source in enumerate(flat_sources):
            column = [row[k] for row in rows]
            if all(g is None for g in column):
                results.append(self._finish(None, _jacobian_zeros(target, source),
                                            unconnected_gradients))
                continue
            column = [_zeros_if_none(g, source) for g in column]
            stacked = movement.stack(column) if column else _jacobian_zeros(target, source)
            shape = tuple(target.shape) + tuple(source.shape)
            results.append(movement.reshape(stacked, shape))
        return nest.pack_sequence_as(sources, results)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobian: shape `[batch] + target.shape[1:] + source.shape[1:]`."""
        from fuseflow.core.ops import movement

        self._check_once("batch_jacobian")
        target = convert_to_tensor(target)
        batch, inner = target.shape[0], target.shape[1:]
        inner_size = inner.num_elements() if inner.rank else 1
        columns = []
        for i in range(inner_size):
            seed = _batch_one_hot(target, i)
            (g,) = self._gradient([target], [source], [seed])
            columns.append(_zeros_if_none(g, source))
        stacked = movement.stack(columns, axis=1)  # [batch, inner_size, *source.shape[1:]]
        shape = (batch, *inner, *tuple(source.shape)[1:])
        return movement.reshape(stacked, shape)

    def _check_once(self, what: str) -> None:
        if self._used and not self._persistent:
            raise RuntimeError(f"A non-persistent GradientTape can only be used to compute one "
                               f"set of gradients (or jacobians); {what} was called again")
        self._used = True


class _Paused:
    def __init__(self, tape: GradientTape):
        self._tape = tape

    def __enter__(self):
        self._was = self._tape._recording
        self._tape._recording = False

    def __exit__(self, *exc):
        self._tape._recording = self._was


def _one_hot_like(target: Tensor, index: int) -> Tensor:
    import numpy as np

    from fuseflow.core.tensor import wrap

    seed = np.zeros(tuple(target.shape), target.dtype.np_dtype)
    seed.reshape(-1)[index] = 1
    return wrap(seed)


def _batch_one_hot(target: Tensor, index: int) -> Tensor:
    import numpy as np

    from fuseflow.core.tensor import wrap

    shape = tuple(target.shape)
    seed = np.zeros((shape[0], int(np.prod(shape[1:], dtype=np.int64))), target.dtype.np_dtype)
    seed[:, index] = 1
    return wrap(seed.reshape(shape))


def _zeros_if_none(g, source):
    from fuseflow.core.ops.elementwise import zeros_like

    return zeros_like(source) if g is None else g


def _jacobian_zeros(target, source):
    import numpy as np

    from fuseflow.core.tensor import wrap

    return wrap(np.zeros(tuple(target.shape) + tuple(source.shape), source.dtype.np_dtype))


# -- custom_gradient -----------------------------------------------------------------------------

def custom_gradient(f: Callable) -> Callable:
    """Decorate `f(*x) -> (y, grad_fn)` so tapes use `grad_fn(dy)` for its gradient.

    If `grad_fn` accepts `variables`, it also receives the variables `f` read and returns
    `(input_grads, variable_grads)`, as with `tf.custom_gradient`.
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from fuseflow.core.ops.elementwise import identity

        inputs = tuple(convert_to_tensor(a) if isinstance(a, Tensor | Variable) else a
                       for a in args)
        probe = GradientTape(watch_accessed_variables=True)
        active = list(context.active_tapes())
        for tape in active:
            tape._recording_saved, tape._recording = tape._recording, False
        try:
            with probe:
                result, grad_fn = f(*inputs, **kwargs)
        finally:
            for tape in active:
                tape._recording = tape._recording_saved
        variables = [var for var, reads in probe._variables.values() if reads]
        flat_out = nest.flatten(result)
        with _paused_all():
            outs = tuple(identity(o) for o in flat_out)
        tensor_inputs = tuple(t for t in inputs if isinstance(t, Tensor))
        var_reads = tuple(v.read_value() for v in variables)
        opdef = _custom_opdef(grad_fn, len(tensor_inputs), variables, len(outs))
        for tape in context.active_tapes():
            tape._record(opdef, tensor_inputs + var_reads, {},
                         outs if len(outs) > 1 else outs[0])
        return nest.pack_sequence_as(result, list(outs))

    return wrapper


class _paused_all:
    def __enter__(self):
        self._saved = [(t, t._recording) for t in context.active_tapes()]
        for tape, _ in self._saved:
            tape._recording = False

    def __exit__(self, *exc):
        for tape, was in self._saved:
            tape._recording = was


def _custom_opdef(grad_fn: Callable, n_inputs: int, variables: list, n_outputs: int) -> OpDef:
    import inspect

    takes_variables = "variables" in inspect.signature(grad_fn).parameters

    def grad(g, out, *inputs):
        upstream = g if n_outputs > 1 else (g,)
        if takes_variables:
            input_grads, var_grads = grad_fn(*upstream, variables=variables)
        else:
            input_grads, var_grads = grad_fn(*upstream), []
        input_grads = list(input_grads) if isinstance(input_grads, list | tuple) else [input_grads]
        return tuple(input_grads[:n_inputs]) + tuple(var_grads)

    return OpDef("custom_gradient", OpKind.OPAQUE, infer=None, impl=None, grad=grad,
                 num_outputs=n_outputs)
