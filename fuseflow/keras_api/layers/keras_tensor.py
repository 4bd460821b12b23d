"""KerasTensor: the symbolic value the functional API passes between layers.

A layer called on KerasTensors runs its `call` under `SymbolicContext`, which answers every op
with the op's own shape inference (no data is computed), so output shapes and shape errors come
from the same rules the ops use everywhere else.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import context
from fuseflow.core.context import ExecutionContext
from fuseflow.core.dtypes import as_dtype
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import SpecTensor


class KerasTensor(SpecTensor):
    """A symbolic tensor: a shape (batch usually None), a dtype and the layer that made it."""

    __slots__ = ("_keras_history", "_label")

    def __init__(self, spec: TensorSpec, history: tuple | None = None, label: str | None = None):
        self._spec = spec
        self._keras_history = history  # (layer, node_index, tensor_index) or None
        self._label = label

    @property
    def name(self) -> str:
        return self._label or "keras_tensor"

    @property
    def node(self):
        """The Node that produced this tensor."""
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def numpy(self):
        raise TypeError(f"{self!r} is symbolic: it has no value. Call the model on data "
                        "to get numbers.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} is symbolic and cannot be converted to a NumPy array. Use "
                        "it only as input to Keras layers, or wrap the code in a Lambda layer.")

    def __bool__(self) -> bool:
        raise TypeError(f"Using a symbolic {self!r} as a Python bool is not allowed.")

    def __len__(self) -> int:
        dim = self._spec.shape[0] if self._spec.shape else None
        if dim is None:
            raise TypeError(f"len() of {self!r} is unknown (its first dimension is None)")
        return dim

    def __iter__(self):
        raise TypeError(f"Iterating over a symbolic {self!r} is not allowed.")

    def __repr__(self) -> str:
        made_by = ""
        if self._keras_history is not None:
            made_by = f" (created by layer '{self._keras_history[0].name}')"
        return (f"<KerasTensor: shape={self.shape} dtype={self.dtype.name}{made_by}>")

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("KerasTensor cannot be pickled")


def symbolic(shape, dtype, label: str | None = None) -> KerasTensor:
    """A fresh KerasTensor with no history."""
    return KerasTensor(TensorSpec(tuple(shape), as_dtype(dtype)), label=label)


class SymbolicContext(ExecutionContext):
    """Runs ops on specs only: each op's `infer` gives its output, variables read as specs."""

    executing_eagerly = False

    def execute(self, opdef, inputs, attrs, name):
        result = opdef.infer(*(t.spec for t in inputs), **attrs)
        if isinstance(result, tuple):
            return tuple(KerasTensor(spec) for spec in result)
        return KerasTensor(result)

    def read_variable(self, variable):
        return KerasTensor(variable.spec)

    def assign_variable(self, variable, value, mode):
        pass  # shape inference never changes state

    def initial_value(self, value):
        if isinstance(value, KerasTensor):
            raise ValueError("A variable cannot start from a symbolic (KerasTensor) value; "
                             "create weights in `build` with `add_weight`.")
        return np.asarray(value._value)


def in_symbolic_call() -> bool:
    """True while a layer's `call` runs on KerasTensors for shape inference."""
    return isinstance(context.current(), SymbolicContext)


def is_symbolic(structure) -> bool:
    """True when any leaf of `structure` is a KerasTensor."""
    from fuseflow.core import nest

    return any(isinstance(t, KerasTensor) for t in nest.flatten(structure))
