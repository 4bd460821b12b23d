"""Matching a call against an `input_signature`: one trace, clear errors when it does not fit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.graph.signature import leaf_spec, walk

SIGNATURE = "input_signature"


def check_signature(name: str, signature: tuple, bound) -> tuple:
    """(key, leaves, specs) of a call under `signature`; TypeError naming what does not fit."""
    names = list(bound.arguments)
    if len(signature) > len(names):
        raise TypeError(f"{name}(): input_signature has {len(signature)} entries but the "
                        f"function takes {len(names)} arguments")
    leaves: list = []
    specs: list = []
    for arg, spec in zip(names, signature):
        _match(name, spec, bound.arguments[arg], arg, leaves, specs)
    extra: list = []
    extra_key = tuple(walk(bound.arguments[arg], arg, extra) for arg in names[len(signature):])
    leaves += extra
    specs += [leaf_spec(v) for _, v in extra]
    return (SIGNATURE, extra_key), leaves, specs


def _match(name: str, spec, value, path: str, leaves: list, specs: list) -> None:
    if isinstance(spec, TensorSpec):
        leaves.append((path, _conforming(name, spec, value, path)))
        specs.append(TensorSpec(spec.shape, spec.dtype))
        return
    if isinstance(spec, Mapping):
        if not isinstance(value, Mapping) or set(value) != set(spec):
            raise _mismatch(name, path, spec, value)
        for key in sorted(spec):
            _match(name, spec[key], value[key], f"{path}/{key}", leaves, specs)
        return
    if isinstance(spec, list | tuple):
        if not isinstance(value, list | tuple) or len(value) != len(spec):
            raise _mismatch(name, path, spec, value)
        for i, (s, v) in enumerate(zip(spec, value)):
            _match(name, s, v, f"{path}/{i}", leaves, specs)
        return
    raise TypeError(f"{name}(): input_signature entry for {path!r} must be a TensorSpec or a "
                    f"nested list/tuple/dict of them, got {spec!r}")


def _conforming(name: str, spec: TensorSpec, value, path: str):
    """`value` as a tensor (or spec) that fits `spec`, or a TypeError."""
    if isinstance(value, TensorSpec):
        candidate = value
    elif isinstance(value, Tensor | np.ndarray) or hasattr(value, "_as_tensor"):
        candidate = convert_to_tensor(value)
    else:
        try:
            candidate = convert_to_tensor(value, dtype=spec.dtype)
        except (TypeError, ValueError):
            raise _mismatch(name, path, spec, value) from None
    if candidate.dtype != spec.dtype or not TensorShape(spec.shape).is_compatible_with(
            candidate.shape):
        raise _mismatch(name, path, spec, value)
    return candidate


def _mismatch(name: str, path: str, spec, value) -> TypeError:
    got = leaf_spec(value).short() if isinstance(value, Tensor | np.ndarray | TensorSpec) \
        else f"{type(value).__name__} {value!r}"
    return TypeError(f"{name}(): argument {path!r} does not match the input_signature: expected "
                     f"{spec!r}, got {got}")
