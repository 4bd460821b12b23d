"""Python operators on Tensor and Variable, installed from one table (TF does the same).

`x + y` calls `add(x, y)` and `1 + x` calls `add(1, x)`, so Python scalars and NumPy arrays on
either side follow the dtype rules of the op's public function.
"""

from __future__ import annotations

from fuseflow.core.ops import elementwise as ew
from fuseflow.core.ops import linalg, slicing
from fuseflow.core.tensor import Tensor
from fuseflow.core.variable import Variable

# dunder -> op function; the reflected dunder `__r<name>__` swaps the operands.
BINARY = {
    "add": ew.add,
    "sub": ew.subtract,
    "mul": ew.multiply,
    "truediv": ew.divide,
    "matmul": linalg.matmul,
}
UNARY = {
    "neg": ew.negative,
}


def _binary(fn):
    return lambda self, other: fn(self, other)


def _reflected(fn):
    return lambda self, other: fn(other, self)


def install(cls: type) -> None:
    """Give `cls` every Python operator of a tensor."""
    for name, fn in BINARY.items():
        setattr(cls, f"__{name}__", _binary(fn))
        setattr(cls, f"__r{name}__", _reflected(fn))
    for name, fn in UNARY.items():
        setattr(cls, f"__{name}__", fn)
    cls.__pos__ = lambda self: self
    cls.__getitem__ = slicing.getitem


install(Tensor)
install(Variable)
