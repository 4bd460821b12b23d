"""The op registry: one frozen OpDef per op, holding every rule of that op.

An op is defined once with `define_op`: its shape/dtype inference, its NumPy implementation,
its gradient (written with public ops, so it traces), and how the compiler lowers it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


class OpKind(enum.Enum):
    """How the compiler treats an op."""

    ELEMENTWISE = "elementwise"  # `lower` is a scalar expression over a builder
    REDUCTION = "reduction"  # `lower` is a Reduction
    MATMUL = "matmul"
    CONV = "conv"
    MOVEMENT = "movement"  # reshape/transpose/slice/...: data layout only
    OPAQUE = "opaque"  # no native lowering: runs `impl` inside a plan
    STATE = "state"  # variable reads and writes, handled by each executor


@dataclass(frozen=True, slots=True)
class Reduction:
    """Lowering of a reduction: how two partial results combine and the start value.

    `combine` is one of "add", "mul", "max", "min", "and", "or"; `prologue` is an optional
    scalar expression applied to each element before combining (e.g. `b.mul(x, x)`) and
    `epilogue` one applied to the result given the element count (e.g. mean: `acc / n`).
    """

    combine: str
    identity: float
    prologue: Callable | None = None
    epilogue: Callable | None = None


@dataclass(frozen=True, slots=True)
class OpDef:
    """Everything fuseflow knows about one op."""

    name: str
    kind: OpKind
    infer: Callable[..., Any]  # (*specs, **attrs) -> TensorSpec | tuple[TensorSpec, ...]
    impl: Callable[..., Any] | None  # (*arrays, **attrs) -> ndarray | tuple[ndarray, ...]
    grad: Callable[..., Any] | None  # (g, out, *inputs, **attrs) -> tuple[Tensor | None, ...]
    lower: Any = None  # scalar expression (ELEMENTWISE), Reduction, or None
    num_outputs: int = 1  # 0 means "decided by attrs" (split, unstack)
    pure: bool = True  # no side effects, same inputs -> same outputs
    foldable: bool = True  # constant folding may evaluate it
    commutative: bool = False
    differentiable: bool = True  # False: outputs carry no gradient (argmax, equal, ...)

    def __repr__(self) -> str:
        return f"OpDef({self.name}, {self.kind.value})"


_REGISTRY: dict[str, OpDef] = {}
REGISTRY: Mapping[str, OpDef] = MappingProxyType(_REGISTRY)


def define_op(name: str, *, kind: OpKind, infer: Callable, impl: Callable | None,
              grad: Callable | None = None, lower: Any = None, **flags) -> OpDef:
    """Register an op. A name defined twice is an error at import time.

    `grad=None` declares the op non-differentiable (its outputs carry no gradient).
    """
    if name in _REGISTRY:
        raise ValueError(f"op {name!r} is defined twice")
    flags.setdefault("differentiable", grad is not None)
    opdef = OpDef(name, kind, infer, impl, grad, lower, **flags)
    _REGISTRY[name] = opdef
    return opdef


def get_op(name: str) -> OpDef:
    """The OpDef registered under `name`."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} is registered") from None
