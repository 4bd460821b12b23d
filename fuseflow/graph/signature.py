"""Trace keys: what about a call's arguments decides which trace runs it, and why one differs.

A key mirrors the arguments: a tensor (or NumPy array) by dtype and shape, a Python scalar by
type and value, a Variable by identity, lists/tuples/dicts/namedtuples element-wise, any other
hashable object by equality. Tensor leaves are collected in `nest.flatten` order; they become
the graph's placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor
from fuseflow.core.variable import Variable

TENSOR, VARIABLE, PYTHON, OBJECT = "tensor", "variable", "python", "object"
_SCALARS = (bool, int, float, str, bytes, type(None))


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def tensor_key(spec: TensorSpec) -> tuple:
    return (TENSOR, spec.dtype, spec.shape)


def is_tensor_leaf(value) -> bool:
    """Tensors, NumPy arrays and TensorSpecs become placeholders of a trace."""
    return isinstance(value, Tensor | TensorSpec) or (
        isinstance(value, np.ndarray) and value.dtype.kind != "O")


def leaf_spec(value) -> TensorSpec:
    """The spec of a tensor-like leaf (a Tensor, a NumPy array or a TensorSpec)."""
    if isinstance(value, TensorSpec):
        return TensorSpec(value.shape, value.dtype)
    if isinstance(value, Tensor):
        return value.spec
    array = np.asarray(value)
    return TensorSpec(array.shape, dtypes.from_numpy(array.dtype))


def walk(value, path: str, leaves: list) -> tuple:
    """The key of `value`; tensor leaves are appended to `leaves` as (path, value)."""
    if is_tensor_leaf(value):
        leaves.append((path, value))
        return tensor_key(leaf_spec(value))
    if isinstance(value, Variable):
        return (VARIABLE, id(value), value.name)  # the name, for explanations
    if isinstance(value, _SCALARS) or isinstance(value, np.generic):
        return (PYTHON, type(value).__name__, value)
    if _is_namedtuple(value):
        return (type(value), tuple(walk(v, f"{path}/{f}", leaves)
                                   for f, v in zip(value._fields, value)))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(walk(v, f"{path}/{i}", leaves)
                                            for i, v in enumerate(value)))
    if isinstance(value, Mapping):
        return ("dict", tuple((k, walk(value[k], f"{path}/{k}", leaves))
                              for k in sorted(value)))
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"argument {path!r}: unsupported type {type(value).__name__} (a traced "
                        f"function accepts tensors, arrays, Variables, Python scalars, hashable "
                        f"objects and lists/tuples/dicts of those)") from None
    return (OBJECT, type(value), value)


def relaxed(key):
    """The key with tensor shapes reduced to their rank (for reduce_retracing)."""
    if key[0] == TENSOR:
        return (TENSOR, key[1], len(key[2]))
    if len(key) == 2:  # a container
        if key[0] == "dict":
            return ("dict", tuple((k, relaxed(child)) for k, child in key[1]))
        return (key[0], tuple(relaxed(child) for child in key[1]))
    return key


def generalize(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    """The most specific spec matching both (differing dims become None)."""
    return TensorSpec(tuple(x if x == y else None for x, y in zip(a.shape, b.shape)), a.dtype)


# -- explanations ---------------------------------------------------------------------------------

def describe_key(key) -> str:
    """Short text of one key element (`float32[32,784]`, `Python int 3`, `list of 2`)."""
    kind = key[0] if isinstance(key, tuple) and key else None
    if kind == TENSOR:
        dims = ",".join("?" if d is None else str(d) for d in key[2])
        return f"{key[1].name}[{dims}]"
    if kind == VARIABLE:
        return f"Variable {key[2]!r}"
    if kind == PYTHON:
        return f"Python {key[1]} {key[2]!r}"
    if kind == OBJECT:
        return f"{key[1].__name__} object {key[2]!r}"
    name = kind.__name__ if isinstance(kind, type) else kind
    return f"{name} of {len(key[1])}"


def diff_keys(old, new, path: str) -> list[str]:
    """Lines saying how argument `path` changed between two keys."""
    if old == new:
        return []
    kind_old = old[0] if isinstance(old, tuple) else None
    kind_new = new[0] if isinstance(new, tuple) else None
    if kind_old == kind_new and kind_old not in (TENSOR, VARIABLE, PYTHON, OBJECT) \
            and len(old[1]) == len(new[1]):
        lines = []
        for i, (a, b) in enumerate(zip(old[1], new[1])):
            label = a[0] if kind_old == "dict" else i
            lines += diff_keys(a[1] if kind_old == "dict" else a,
                               b[1] if kind_old == "dict" else b, f"{path}/{label}")
        return lines or [f"arg {path!r}: {describe_key(old)} -> {describe_key(new)}"]
    text = f"arg {path!r}: {describe_key(old)} -> {describe_key(new)}"
    if kind_old == kind_new == PYTHON:
        text += ", pass a tensor to avoid retracing"
    elif kind_old == kind_new == VARIABLE:
        text += " (Variables are matched by identity)"
    elif kind_old == kind_new == TENSOR and old[1] == new[1]:
        text += ", use input_signature with None dims or reduce_retracing=True to avoid it"
    return [text]


def explain_difference(names: list[str], old: tuple, new: tuple) -> list[str]:
    """Why the call with key `new` did not match the trace with key `old`."""
    lines = []
    for name, a, b in zip(names, old, new):
        lines += diff_keys(a, b, name)
    return lines or ["the arguments differ"]
