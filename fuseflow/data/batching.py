"""Batching: batch, padded_batch and unbatch."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import numpy as np

from fuseflow.core import nest
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.data import structure
from fuseflow.data.dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def _check_batch_size(batch_size, op: str) -> int:
    size = int(batch_size)
    if size <= 0:
        raise InvalidArgumentError(op, f"`batch_size` must be > 0, got {batch_size!r}")
    return size


def _groups(elements: Iterator, size: int, drop_remainder: bool) -> Iterator[list]:
    while True:
        group = list(islice(elements, size))
        if not group or (drop_remainder and len(group) < size):
            return
        yield group


class BatchDataset(Dataset):
    """Consecutive elements stacked into batches (`Dataset.batch`)."""

    _tf_name = "_BatchDataset"

    def __init__(self, input: Dataset, batch_size, drop_remainder: bool = False):
        self._input = input
        self._size = _check_batch_size(batch_size, "batch")
        self._drop = bool(drop_remainder)

    def _iter(self):
        plan = self._input._index_plan()
        if plan is not None:
            return plan.batches(self._size, self._drop)
        return self._stacked()

    def _stacked(self):
        for group in _groups(self._input._iter(), self._size, self._drop):
            if type(group[0]) is np.ndarray:
                yield _stack(group, 0)
                continue
            columns = zip(*(nest.flatten(element) for element in group))
            leaves = [_stack(list(column), i) for i, column in enumerate(columns)]
            yield nest.pack_sequence_as(group[0], leaves)

    def _compute_spec(self):
        dim = self._size if self._drop else None
        return nest.map_structure(lambda s: structure.batched_spec(s, dim),
                                  self._input.element_spec)

    def _cardinality(self) -> int:
        return _batched_cardinality(self._input._cardinality(), self._size, self._drop)


def _stack(arrays: list[np.ndarray], component: int) -> np.ndarray:
    first = arrays[0].shape
    for i, array in enumerate(arrays):
        if array.shape != first:
            raise InvalidArgumentError(
                "batch", f"Cannot batch tensors with different shapes in component {component}. "
                f"First element had shape {list(first)} and element {i} had shape "
                f"{list(array.shape)}.")
    return np.stack(arrays)


def _batched_cardinality(n: int, size: int, drop: bool) -> int:
    if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
        return n
    return n // size if drop else -(-n // size)


class PaddedBatchDataset(BatchDataset):
    """Batches whose components are padded to a common shape (`Dataset.padded_batch`)."""

    _tf_name = "_PaddedBatchDataset"

    def __init__(self, input: Dataset, batch_size, padded_shapes=None, padding_values=None,
                 drop_remainder: bool = False):
        super().__init__(input, batch_size, drop_remainder)
        spec = input.element_spec
        flat_specs = nest.flatten(spec)
        if padded_shapes is None:  # pad every dim to the batch's longest: specs may be probed
            shapes = [None if s.shape is None else (None,) * len(s.shape) for s in flat_specs]
        else:
            shapes = _flatten_shapes(spec, padded_shapes)
        self._shapes = [_padded_dims(shape, s) for shape, s in zip(shapes, flat_specs)]
        self._values = _padding_values(spec, padding_values)
        self._structure = spec

    def _iter(self):
        for group in _groups(self._input._iter(), self._size, self._drop):
            columns = zip(*(nest.flatten(element) for element in group))
            leaves = [_pad_stack(list(column), shape, value, i) for i, (column, shape, value)
                      in enumerate(zip(columns, self._shapes, self._values))]
            yield nest.pack_sequence_as(group[0], leaves)

    def _compute_spec(self):
        dim = self._size if self._drop else None
        specs = [structure.batched_spec(structure.make_spec(shape, s.dtype), dim)
                 for shape, s in zip(self._shapes, nest.flatten(self._structure))]
        return nest.pack_sequence_as(self._structure, specs)


def _flatten_shapes(spec, padded_shapes) -> list:
    """`padded_shapes` read up to the element structure (its lists are dims, not structure)."""
    if isinstance(spec, TensorSpec):
        return [padded_shapes]
    if isinstance(spec, dict):
        return [s for key in sorted(spec) for s in _flatten_shapes(spec[key], padded_shapes[key])]
    return [s for sub, shape in zip(spec, padded_shapes) for s in _flatten_shapes(sub, shape)]


def _padded_dims(shape, spec: TensorSpec) -> tuple | None:
    if shape is None and spec.shape is None:
        return None  # unknown rank: padded to the batch's longest in every dim
    dims = TensorShape(shape).dims if shape is not None else spec.shape
    if dims is None or (spec.shape is not None and len(dims) != len(spec.shape)):
        raise ValueError(f"padded_batch: padded shape {shape!r} does not match the rank of "
                         f"component {structure.spec_text(spec)}")
    return tuple(None if d is None or d < 0 else d for d in dims)


def _padding_values(spec, padding_values) -> list:
    specs = nest.flatten(spec)
    if padding_values is None:
        return [b"" if s.dtype.name == "string" else 0 for s in specs]
    if not nest.is_nested(padding_values):
        return [padding_values] * len(specs)
    return [np.asarray(getattr(v, "_value", v)) for v in nest.flatten(padding_values)]


def _pad_stack(arrays: list[np.ndarray], shape: tuple, value, component: int) -> np.ndarray:
    if shape is None:
        shape = (None,) * arrays[0].ndim
    if any(a.ndim != len(shape) for a in arrays):
        ranks = sorted({a.ndim for a in arrays})
        raise InvalidArgumentError("padded_batch", f"component {component} has elements of "
                                   f"rank {ranks}; the padded shape has rank {len(shape)}")
    target = tuple(max(a.shape[d] for a in arrays) if size is None else size
                   for d, size in enumerate(shape))
    out = np.full((len(arrays), *target), getattr(value, "_value", value), dtype=arrays[0].dtype)
    for i, array in enumerate(arrays):
        if any(a > t for a, t in zip(array.shape, target)):
            raise InvalidArgumentError(
                "padded_batch", f"Attempted to pad to a smaller size than the input element: "
                f"component {component} has shape {list(array.shape)}, padded shape is "
                f"{list(target)}.")
        out[(i, *(slice(0, n) for n in array.shape))] = array
    return out


class UnbatchDataset(Dataset):
    """The rows of each element's components (`Dataset.unbatch`)."""

    _tf_name = "_UnbatchDataset"

    def __init__(self, input: Dataset):
        self._input = input

    def _iter(self):
        for element in self._input._iter():
            leaves = nest.flatten(element)
            sizes = {leaf.shape[0] if leaf.ndim else None for leaf in leaves}
            if None in sizes or len(sizes) != 1:
                shapes = ", ".join(str(list(leaf.shape)) for leaf in leaves)
                raise InvalidArgumentError("unbatch", "every component must have rank >= 1 and "
                                           f"the same size in dimension 0; got shapes {shapes}")
            for i in range(sizes.pop()):
                yield nest.pack_sequence_as(element, [leaf[i, ...] for leaf in leaves])

    def _compute_spec(self):
        return nest.map_structure(structure.unbatched_spec, self._input.element_spec)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n == INFINITE_CARDINALITY:
            return n
        dims = {s.shape[0] if s.shape else None for s in nest.flatten(self._input.element_spec)}
        if n == UNKNOWN_CARDINALITY or None in dims or len(dims) != 1:
            return UNKNOWN_CARDINALITY
        return n * dims.pop()
