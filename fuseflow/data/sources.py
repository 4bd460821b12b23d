"""Datasets that start a pipeline: tensor slices, whole tensors, ranges, generators, zips."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from fuseflow.core import dtypes, nest
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.data import structure
from fuseflow.data.dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset
from fuseflow.data.plans import IndexPlan


class TensorSliceDataset(Dataset):
    """One element per row of the given arrays (`Dataset.from_tensor_slices`)."""

    _tf_name = "_TensorSliceDataset"

    def __init__(self, tensors):
        self._arrays = structure.normalize(tensors, "from_tensor_slices")
        leaves = nest.flatten(self._arrays)
        if not leaves:
            raise ValueError("from_tensor_slices: `tensors` holds no tensors")
        if any(leaf.ndim == 0 for leaf in leaves):
            raise InvalidArgumentError("from_tensor_slices", "every component must have rank "
                                       ">= 1 to be sliced; got a scalar component")
        sizes = {leaf.shape[0] for leaf in leaves}
        if len(sizes) > 1:
            shapes = ", ".join(str(leaf.shape) for leaf in leaves)
            raise InvalidArgumentError("from_tensor_slices", "all components must have the same "
                                       f"size in dimension 0; got shapes {shapes}")
        self._n = sizes.pop()

    def _index_plan(self) -> IndexPlan:
        n = self._n
        return IndexPlan(self._arrays, lambda: iter((range(n),)))

    def _iter(self):
        return self._index_plan().rows()

    def _compute_spec(self):
        return nest.map_structure(
            lambda a: TensorSpec(a.shape[1:], dtypes.from_numpy(a.dtype)), self._arrays)

    def _cardinality(self) -> int:
        return self._n


class TensorDataset(Dataset):
    """A single element holding the given tensors (`Dataset.from_tensors`)."""

    _tf_name = "_TensorDataset"

    def __init__(self, tensors):
        self._element = structure.normalize(tensors, "from_tensors")

    def _iter(self):
        yield self._element

    def _compute_spec(self):
        return structure.spec_of(self._element)

    def _cardinality(self) -> int:
        return 1


class RangeDataset(Dataset):
    """`range(start, stop, step)` as int64 scalars (`Dataset.range`)."""

    _tf_name = "_RangeDataset"

    def __init__(self, *args, output_type=dtypes.int64):
        if not 1 <= len(args) <= 3:
            raise TypeError(f"range: expected 1 to 3 positional arguments, got {len(args)}")
        bounds = slice(*(int(a) for a in args))
        self._range = range(bounds.start or 0, bounds.stop,
                            1 if bounds.step is None else bounds.step)
        self._dtype = dtypes.as_dtype(output_type)

    def _iter(self):
        np_type = self._dtype.np_dtype
        return (np.array(i, dtype=np_type) for i in self._range)

    def _compute_spec(self):
        return TensorSpec((), self._dtype)

    def _cardinality(self) -> int:
        return len(self._range)


class GeneratorDataset(Dataset):
    """Elements yielded by a Python generator function (`Dataset.from_generator`)."""

    _tf_name = "_FlatMapDataset"  # TF builds it from a flat_map and prints that name

    def __init__(self, generator: Callable, signature, args=None):
        if not callable(generator):
            raise TypeError(f"from_generator: `generator` must be callable, got {generator!r}")
        self._generator = generator
        self._signature = signature
        self._args = tuple(np.asarray(structure.to_array(a)) for a in (args or ()))
        self._specs = nest.flatten(signature)

    def _iter(self):
        for value in self._generator(*self._args):
            yield self._convert(value)

    def _convert(self, value):
        leaves = _flatten_up_to(self._signature, value)
        arrays = [_conform(leaf, spec) for leaf, spec in zip(leaves, self._specs)]
        return nest.pack_sequence_as(self._signature, arrays)

    def _compute_spec(self):
        return self._signature

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY


def _flatten_up_to(signature, value) -> list:
    """The leaves of `value` matching the signature's structure (lists accepted for tuples)."""
    if isinstance(signature, TensorSpec):
        return [value]
    if isinstance(signature, Mapping) and isinstance(value, Mapping) and set(value) == set(
            signature):
        return [leaf for key in sorted(signature)
                for leaf in _flatten_up_to(signature[key], value[key])]
    if isinstance(signature, tuple) and isinstance(value, list | tuple) and len(value) == len(
            signature):
        return [leaf for s, v in zip(signature, value) for leaf in _flatten_up_to(s, v)]
    raise TypeError("`generator` yielded an element that did not match the expected structure. "
                    f"The expected structure was {structure.spec_text(signature)}, but the "
                    f"yielded element was {value!r}.")


def _conform(value, spec: TensorSpec) -> np.ndarray:
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        array = convert_to_tensor(value)._value
    elif spec.dtype == dtypes.string:
        array = structure.to_array(value, "from_generator")
    else:
        array = np.asarray(value)
    if array.dtype != spec.dtype.np_dtype:
        array = _cast_exact(array, spec, value)
    if spec.shape is not None and not _fits(array.shape, spec.shape):
        raise InvalidArgumentError("from_generator", f"`generator` yielded an element of shape "
                                   f"{list(array.shape)} where an element of shape "
                                   f"{list(spec.shape)} was expected.")
    return array


def _cast_exact(array: np.ndarray, spec: TensorSpec, value) -> np.ndarray:
    kind, target = array.dtype.kind, spec.dtype.np_dtype.kind
    lossy = kind == "f" and target in "iub" and not np.all(np.mod(array, 1) == 0)
    if lossy or (kind in "USO") != (target in "USO"):
        raise TypeError(f"`generator` yielded an element that could not be converted to "
                        f"{spec.dtype!r}: {value!r}")
    return array.astype(spec.dtype.np_dtype)


def _fits(shape: tuple, expected: tuple) -> bool:
    return len(shape) == len(expected) and all(
        e is None or e == s for s, e in zip(shape, expected))


def signature_from_types(output_types, output_shapes):
    """A TensorSpec structure from TF1-style `output_types` and `output_shapes`."""
    if output_shapes is None:
        return nest.map_structure(structure.unknown_rank_spec, _tupled(output_types))
    types = _tupled(output_types)
    if isinstance(types, dtypes.DType):
        return structure.make_spec(output_shapes, types)
    shapes = _shapes_like(types, output_shapes)
    return nest.map_structure(structure.make_spec, shapes, types)


def _tupled(value):
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, Mapping):
        return type(value)((k, _tupled(v)) for k, v in value.items())
    if isinstance(value, tuple):
        return tuple(_tupled(v) for v in value)
    return dtypes.as_dtype(value)


def _shapes_like(types, shapes):
    """Shapes use lists/tuples both as structure and as dims: read them up to `types`."""
    if isinstance(types, dtypes.DType):
        return _Shape(shapes)
    if isinstance(types, Mapping):
        return type(types)((k, _shapes_like(types[k], shapes[k])) for k in types)
    return tuple(_shapes_like(t, s) for t, s in zip(types, shapes))


class _Shape:
    """A shape held as one leaf while mapping over a structure."""

    def __init__(self, dims):
        self.dims = None if dims is None else tuple(dims)

    def __iter__(self):
        return iter(self.dims)


class ZipDataset(Dataset):
    """Elements of several datasets side by side, in their nested structure (`Dataset.zip`)."""

    _tf_name = "_ZipDataset"

    def __init__(self, datasets):
        self._datasets = datasets
        flat = nest.flatten(datasets)
        if not flat or not all(isinstance(d, Dataset) for d in flat):
            raise TypeError(f"zip: expected a (nested) structure of Datasets, got {datasets!r}")
        self._flat = flat

    def _iter(self):
        iterators = [d._iter() for d in self._flat]
        while True:
            items = []
            for it in iterators:
                item = next(it, _END)
                if item is _END:
                    return
                items.append(item)
            yield nest.pack_sequence_as(self._datasets, items)

    def _compute_spec(self):
        return nest.pack_sequence_as(self._datasets, [d.element_spec for d in self._flat])

    def _cardinality(self) -> int:
        result = INFINITE_CARDINALITY
        for dataset in self._flat:
            n = dataset._cardinality()
            if n == UNKNOWN_CARDINALITY:
                return UNKNOWN_CARDINALITY
            if n != INFINITE_CARDINALITY:
                result = n if result == INFINITE_CARDINALITY else min(result, n)
        return result


_END = object()
