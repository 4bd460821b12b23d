"""TFOpLambda: Python operators on KerasTensors (`x * 2`, `a + b`, `x[:, 0]`) become layers.

Each use records a small layer (named like TF's `tf.math.multiply`) in the functional graph,
so `Input(...) * 2.0` works the way it does in tf.keras.
"""

from __future__ import annotations

from fuseflow.core.ops import elementwise as ew
from fuseflow.core.ops import linalg, slicing
from fuseflow.keras_api import backend
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.keras_tensor import KerasTensor, in_symbolic_call

_BINARY = {"add": (ew.add, "tf.__operators__.add"), "sub": (ew.subtract, "tf.math.subtract"),
           "mul": (ew.multiply, "tf.math.multiply"), "truediv": (ew.divide, "tf.math.truediv"),
           "matmul": (linalg.matmul, "tf.linalg.matmul")}


class TFOpLambda(Layer):
    """Apply one fuseflow function to its arguments (made by operators on KerasTensors)."""

    def __init__(self, function, label: str, **kwargs):
        super().__init__(name=backend.unique_object_name(label), **kwargs)
        self.function = function

    def call(self, inputs, *args):
        return self.function(inputs, *args)

    def get_config(self) -> dict:
        raise NotImplementedError(f'Layer "{self.name}" was made by a Python operator on a '
                                  "KerasTensor and cannot be serialized; use a Lambda layer "
                                  "with a named function instead.")


def _apply(fn, label: str, *args):
    if in_symbolic_call():  # inside a layer's shape inference: just run the op on specs
        return fn(*args)
    return TFOpLambda(fn, label)(*args)


def _method(fn, label: str, reflected: bool = False):
    if reflected:
        return lambda self, other: _apply(lambda x, y: fn(y, x), label, self, other)
    return lambda self, other: _apply(fn, label, self, other)


def install() -> None:
    """Give KerasTensor the arithmetic operators, each recording an OpLayer."""
    for name, (fn, label) in _BINARY.items():
        setattr(KerasTensor, f"__{name}__", _method(fn, label))
        setattr(KerasTensor, f"__r{name}__", _method(fn, label, reflected=True))
    KerasTensor.__neg__ = lambda self: _apply(ew.negative, "tf.math.negative", self)
    KerasTensor.__getitem__ = lambda self, key: _apply(
        lambda x: slicing.getitem(x, key), "tf.__operators__.getitem", self)


install()
