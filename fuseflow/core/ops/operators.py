"""Python operators on Tensor and Variable, installed from one table (TF does the same).

`x + y` calls `add(x, y)` and `1 + x` calls `add(1, x)`, so Python scalars and NumPy arrays on
either side follow the dtype rules of the op's public function.
"""

from __future__ import annotations

from fuseflow.core.ops import elementwise as ew
from fuseflow.core.ops import linalg, slicing
from fuseflow.core.ops._helpers import binary_operands
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.core.variable import Variable


def _bool_only(fn, symbol: str):
    """`&`, `|`, `^`: logical ops on bool tensors (TF's bitwise ops on integers are not here)."""

    def op(x, y):
        x, y = binary_operands(x, y, fn.__name__)
        if not x.dtype.is_bool:
            raise TypeError(f"`{symbol}` needs bool tensors, got {x.dtype.name}; use "
                            f"fuseflow.math.logical_* on bool values")
        return fn(x, y)

    return op


def _invert(x):
    """`~x`: logical NOT for bool tensors, bitwise NOT (-x - 1 in two's complement) for ints."""
    x = convert_to_tensor(x)
    if x.dtype.is_bool:
        return ew.logical_not(x)
    if x.dtype.is_integer:
        return ew.subtract(ew.negative(x), 1)
    raise TypeError(f"`~` needs a bool or integer tensor, got {x.dtype.name}")


# dunder -> op function; the reflected dunder `__r<name>__` swaps the operands.
BINARY = {
    "add": ew.add,
    "sub": ew.subtract,
    "mul": ew.multiply,
    "truediv": ew.divide,
    "floordiv": ew.floordiv,
    "mod": ew.floormod,
    "pow": ew.pow,
    "matmul": linalg.matmul,
    "and": _bool_only(ew.logical_and, "&"),
    "or": _bool_only(ew.logical_or, "|"),
    "xor": _bool_only(ew.logical_xor, "^"),
}
COMPARISONS = {"lt": ew.less, "le": ew.less_equal, "gt": ew.greater, "ge": ew.greater_equal}
UNARY = {"neg": ew.negative, "abs": ew.abs, "invert": _invert}


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _equality(fn, otherwise: bool):
    """`==` / `!=` compare elementwise like TF2; values that cannot be compared (None, another
    dtype, shapes that do not broadcast) give plain `otherwise` instead of raising."""

    def compare(self, other):
        if other is None:
            return otherwise
        try:
            return fn(self, other)
        except (TypeError, ValueError):
            return otherwise

    return compare


def install(cls: type) -> None:
    """Give `cls` every Python operator of a tensor."""
    for name, fn in BINARY.items():
        setattr(cls, f"__{name}__", fn)  # a plain function binds `self` as its first operand
        setattr(cls, f"__r{name}__", _reflected(fn))
    for name, fn in {**COMPARISONS, **UNARY}.items():
        setattr(cls, f"__{name}__", fn)
    cls.__eq__ = _equality(ew.equal, False)
    cls.__ne__ = _equality(ew.not_equal, True)
    cls.__pos__ = lambda self: self
    cls.__getitem__ = slicing.getitem


install(Tensor)
install(Variable)
