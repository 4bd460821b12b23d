"""Nested structures (lists, tuples, dicts, namedtuples) flattened and packed, as `tf.nest`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def is_nested(value) -> bool:
    return isinstance(value, list | tuple | Mapping)


def flatten(structure) -> list:
    """The leaves of `structure` in order (dict values by sorted key, as TF)."""
    if isinstance(structure, Mapping):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_sequence_as(structure, flat: list) -> Any:
    """Rebuild `structure` with the leaves taken in order from `flat`."""
    leaves = iter(flat)
    packed = _pack(structure, leaves)
    if next(leaves, _END) is not _END:
        raise ValueError("pack_sequence_as: more leaves than the structure holds")
    return packed


_END = object()


def _pack(structure, leaves):
    if isinstance(structure, Mapping):
        packed = {key: _pack(structure[key], leaves) for key in sorted(structure)}
        return type(structure)((key, packed[key]) for key in structure)
    if _is_namedtuple(structure):
        return type(structure)(*(_pack(item, leaves) for item in structure))
    if isinstance(structure, list | tuple):
        return type(structure)(_pack(item, leaves) for item in structure)
    leaf = next(leaves, _END)
    if leaf is _END:
        raise ValueError("pack_sequence_as: fewer leaves than the structure holds")
    return leaf


def map_structure(fn: Callable, *structures) -> Any:
    """Apply `fn` leaf-wise across structures of the same shape."""
    flats = [flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise ValueError("map_structure: the structures do not have the same number of leaves")
    return pack_sequence_as(structures[0], [fn(*leaves) for leaves in zip(*flats)])


def assert_same_structure(a, b) -> None:
    if map_structure(lambda _: None, a) != map_structure(lambda _: None, b):
        raise ValueError(f"The two structures don't have the same nested structure: {a} vs {b}")
