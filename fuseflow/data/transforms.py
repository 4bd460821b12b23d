"""Element-wise transformations: map, filter, flat_map, interleave, concatenate, enumerate."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from fuseflow.core import dtypes, nest
from fuseflow.core.shape import TensorSpec
from fuseflow.data import structure
from fuseflow.data.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset
from fuseflow.data.functions import UserFunction

_END = object()


class MapDataset(Dataset):
    """`fn` applied to every element (`Dataset.map`)."""

    def __init__(self, input: Dataset, fn: Callable, num_parallel_calls=None):
        self._input = input
        self._fn = UserFunction(fn, "map")
        # Elements are mapped in order on the pipeline's thread: the execution-context stack of
        # fuseflow.core is shared by all threads, so user functions never run concurrently.
        self._tf_name = "_MapDataset" if num_parallel_calls is None else "_ParallelMapDataset"

    def _iter(self):
        fn = self._fn
        for element in self._input._iter():
            yield fn(element)

    def _compute_spec(self):
        traced = self._fn.traced_spec(self._input.element_spec)
        if traced is not None:
            return traced
        return _probe_spec(self._input, lambda element: structure.spec_of(self._fn(element)),
                           "map")

    def _cardinality(self) -> int:
        return self._input._cardinality()


def _probe_spec(input: Dataset, output_spec: Callable, what: str):
    """The output spec of a function, found by running it on the input's first element.

    Output dims equal to an input dim that the input spec leaves unknown (a batch dim, say)
    are made unknown too, so a spec probed on one batch describes every batch.
    """
    first = next(input._iter(), _END)
    if first is _END:
        raise ValueError(f"{what}: cannot infer the element_spec of a function applied to an "
                         "empty dataset")
    spec = output_spec(first)
    unknown = _unknown_dims(input.element_spec, first)
    if not unknown:
        return spec
    return nest.map_structure(lambda s: _relax_dims(s, unknown), spec)


def _unknown_dims(spec, element) -> set[int]:
    sizes = set()
    for leaf_spec, leaf in zip(nest.flatten(spec), nest.flatten(element)):
        if leaf_spec.shape is None:
            sizes.update(leaf.shape)
            continue
        sizes.update(size for dim, size in zip(leaf_spec.shape, leaf.shape) if dim is None)
    return sizes


def _relax_dims(spec: TensorSpec, unknown: set[int]) -> TensorSpec:
    return TensorSpec(tuple(None if d in unknown else d for d in spec.shape), spec.dtype)


class FilterDataset(Dataset):
    """The elements for which `predicate` is True (`Dataset.filter`)."""

    _tf_name = "_FilterDataset"

    def __init__(self, input: Dataset, predicate: Callable):
        self._input = input
        self._predicate = UserFunction(predicate, "filter")

    def _iter(self):
        predicate = self._predicate
        for element in self._input._iter():
            keep = predicate(element)
            if type(keep) is not np.ndarray or keep.shape != () or keep.dtype != np.bool_:
                _bad_predicate(keep)
            if keep:
                yield element

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY


def _bad_predicate(result) -> None:
    spec = structure.spec_text(nest.map_structure(structure.leaf_spec, result))
    raise ValueError(f"filter: `predicate` return type must be convertible to a scalar boolean "
                     f"tensor. Was {spec}.")


class FlatMapDataset(Dataset):
    """The elements of the datasets `fn` returns, one dataset after another (`flat_map`)."""

    _tf_name = "_FlatMapDataset"

    def __init__(self, input: Dataset, fn: Callable):
        self._input = input
        self._fn = UserFunction(fn, "flat_map", trace=False)

    def _dataset(self, element) -> Dataset:
        result = self._fn.call_raw(element)
        if not isinstance(result, Dataset):
            raise TypeError(f"flat_map: the function must return a Dataset, got {result!r}")
        return result

    def _iter(self):
        for element in self._input._iter():
            yield from self._dataset(element)._iter()

    def _compute_spec(self):
        return _probe_spec(self._input, lambda e: self._dataset(e).element_spec, "flat_map")


class InterleaveDataset(FlatMapDataset):
    """Elements of `cycle_length` datasets at a time, `block_length` from each in turn."""

    _tf_name = "_InterleaveDataset"

    def __init__(self, input: Dataset, fn: Callable, cycle_length=None, block_length=None,
                 num_parallel_calls=None):
        super().__init__(input, fn)
        self._fn.what = "interleave"
        cycle = AUTOTUNE if cycle_length is None else int(cycle_length)
        self._cycle = (os.cpu_count() or 1) if cycle == AUTOTUNE else cycle
        self._block = 1 if block_length is None else int(block_length)
        if self._cycle <= 0 or self._block <= 0:
            raise ValueError(f"interleave: `cycle_length` and `block_length` must be positive, "
                             f"got {cycle_length!r} and {block_length!r}")
        if num_parallel_calls is not None:
            self._tf_name = "_ParallelInterleaveDataset"

    def _iter(self):
        inputs = self._input._iter()
        slots: list = [None] * self._cycle
        open_count, index, block, exhausted = 0, 0, 0, False
        while not exhausted or open_count:
            if slots[index] is not None:
                item = next(slots[index], _END)
                if item is not _END:
                    yield item
                    block += 1
                    if block == self._block:
                        block, index = 0, (index + 1) % self._cycle
                    continue
                slots[index] = None
                open_count -= 1
                block, index = 0, (index + 1) % self._cycle
            elif not exhausted:
                element = next(inputs, _END)
                if element is _END:
                    exhausted = True
                else:
                    slots[index] = self._dataset(element)._iter()
                    open_count += 1
            else:
                block, index = 0, (index + 1) % self._cycle


class ConcatenateDataset(Dataset):
    """The elements of one dataset, then those of another (`Dataset.concatenate`)."""

    _tf_name = "_ConcatenateDataset"

    def __init__(self, first: Dataset, second: Dataset):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate: expected a Dataset, got {second!r}")
        self._first, self._second = first, second
        self._spec = _common_spec(first.element_spec, second.element_spec)

    def _iter(self):
        yield from self._first._iter()
        yield from self._second._iter()

    def _compute_spec(self):
        return self._spec

    def _cardinality(self) -> int:
        a, b = self._first._cardinality(), self._second._cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        if UNKNOWN_CARDINALITY in (a, b):
            return UNKNOWN_CARDINALITY
        return a + b


def _common_spec(a, b):
    mismatch = TypeError(f"Incompatible dataset elements:\n  {structure.spec_text(a)} vs. \n  "
                         f"{structure.spec_text(b)}")
    if not structure.same_structure(a, b):
        raise mismatch
    if any(x.dtype != y.dtype for x, y in zip(nest.flatten(a), nest.flatten(b))):
        raise mismatch
    return nest.map_structure(structure.relax, a, b)


class CountDataset(Dataset):
    """0, 1, 2, ... as int64 scalars, without end (enumerate's counter)."""

    _tf_name = "_CounterDataset"

    def __init__(self, start: int = 0):
        self._start = int(start)

    def _iter(self):
        i = self._start
        while True:
            yield np.array(i, dtype=np.int64)
            i += 1

    def _compute_spec(self):
        return TensorSpec((), dtypes.int64)

    def _cardinality(self) -> int:
        return INFINITE_CARDINALITY
