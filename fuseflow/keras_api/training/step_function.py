"""A train/test/predict step run as one `fuseflow.function` call per batch.

The step is traced once, with the batch dimension left unknown (`None`), so the last smaller
batch of an epoch reuses the same trace. The traced function takes the batch's tensors as flat
positional arguments: that is the shape `fuseflow.function`'s fast call path accepts, so a
steady-state step costs one check and one native call.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable

from fuseflow.core import nest
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

_ROLES = ("x", "y", "sample_weight")


def structure_key(data) -> tuple:
    """A hashable description of a batch's nesting (not its values)."""
    if isinstance(data, dict):
        return ("dict", tuple((k, structure_key(data[k])) for k in sorted(data)))
    if isinstance(data, list | tuple):
        return (type(data).__name__, tuple(structure_key(v) for v in data))
    return ("leaf",)


def _argument_names(data, count: int) -> list[str]:
    """Readable argument names (`x`, `y`, `sample_weight`, `x_0`, ...) for retrace messages."""
    parts = data if isinstance(data, tuple) and 1 < len(data) <= 3 else (data,)
    names = []
    for role, part in zip(_ROLES, parts):
        leaves = nest.flatten(part)
        names += [role] if len(leaves) == 1 else [f"{role}_{i}" for i in range(len(leaves))]
    return names if len(names) == count else [f"arg_{i}" for i in range(count)]


def _batch_size(leaves: list) -> int | None:
    shape = getattr(leaves[0], "shape", None) if leaves else None
    return shape[0] if shape else None


def _batch_spec(tensor) -> TensorSpec:
    shape = tuple(tensor.shape)
    return TensorSpec((None, *shape[1:]) if shape else (), tensor.dtype)


class _FlatStep:
    """`step(data)` called with the batch's tensors as flat positional arguments.

    An object rather than a closure: every model builds its own, and `fuseflow.function` warns
    about many function objects made from one closure's code (a per-call `function` bug).
    """

    def __init__(self, step: Callable, structure, name: str, names: list[str]):
        self._step, self._structure = step, structure
        self.__name__ = self.__qualname__ = name
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])

    def __call__(self, *flat):
        return self._step(nest.pack_sequence_as(self._structure, list(flat)))


class StepFunction:
    """Run `step(data)` traced (compiled when `jit_compile`) with a None batch dimension."""

    def __init__(self, step: Callable, name: str, jit_compile: bool, on_setup: Callable):
        self._step, self._name, self._jit_compile = step, name, jit_compile
        self._on_setup = on_setup  # called with (trace_seconds, compile_seconds)
        self._functions: dict = {}
        self._last_key = None
        self._last = None
        self._warm: set = set()  # (structure, batch size) pairs that ran before

    @property
    def functions(self) -> list:
        """The `fuseflow.function`s built so far (one per batch structure)."""
        return [fn for fn, _ in self._functions.values()]

    def __call__(self, data):
        leaves = nest.flatten(data)
        key = structure_key(data)
        if key == self._last_key and (key, _batch_size(leaves)) in self._warm:
            return self._last(*leaves)
        entry = self._functions.get(key)
        if entry is None:
            entry = self._build(data, leaves)
            self._functions[key] = entry
        self._last_key, self._last = key, entry[0]
        warm_key = (key, _batch_size(leaves))
        if warm_key in self._warm:
            return entry[0](*leaves)
        # The compiler specializes a plan per input shape on its first call: count that call
        # as compile time, not step time.
        start = time.perf_counter()
        result = entry[0](*leaves)
        self._on_setup(0.0, time.perf_counter() - start)
        self._warm.add(warm_key)
        return result

    def _build(self, data, leaves: list):
        from fuseflow.graph.function import function

        leaves = [convert_to_tensor(v) if not isinstance(v, Tensor) else v for v in leaves]
        step = _FlatStep(self._step, data, self._name, _argument_names(data, len(leaves)))
        fn = function(step, input_signature=[_batch_spec(t) for t in leaves],
                      jit_compile=self._jit_compile, name=self._name)
        start = time.perf_counter()
        concrete = fn.get_concrete_function(*leaves)
        traced = time.perf_counter()
        concrete.executable()
        self._on_setup(traced - start, time.perf_counter() - traced)
        return fn, concrete
