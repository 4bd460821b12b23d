"""`Dataset`: a lazily evaluated, re-iterable sequence of elements, like `tf.data.Dataset`.

Each dataset knows its `element_spec`, its `cardinality` and how to iterate (`_iter`, which
yields elements with NumPy leaves). Transformations return new datasets; nothing runs until
iteration. The constructors and transformations live in sibling modules and are attached here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fuseflow.core.errors import OutOfRangeError
from fuseflow.core.shape import TensorSpec
from fuseflow.data import structure

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


class Dataset:
    """A sequence of elements (structures of tensors) built from sources and transformations."""

    _tf_name = "Dataset"  # the class name TF prints in `repr(dataset)`

    # -- what each kind of dataset provides ---------------------------------------------------
    def _iter(self) -> Iterator:
        """Yield elements whose leaves are NumPy arrays."""
        raise NotImplementedError

    def _compute_spec(self):
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    def _index_plan(self):
        """An `IndexPlan` when elements are rows of in-memory arrays (batching gathers rows)."""
        return None

    # -- constructors -------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name: str | None = None) -> Dataset:
        """One element per row (slice along dimension 0) of `tensors`, a structure of arrays."""
        from fuseflow.data.sources import TensorSliceDataset

        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name: str | None = None) -> Dataset:
        """A dataset of one element: `tensors`."""
        from fuseflow.data.sources import TensorDataset

        return TensorDataset(tensors)

    @staticmethod
    def range(*args, output_type="int64", name: str | None = None) -> Dataset:
        """`range(stop)`, `range(start, stop)` or `range(start, stop, step)` as int64 scalars."""
        from fuseflow.data.sources import RangeDataset

        return RangeDataset(*args, output_type=output_type)

    @staticmethod
    def from_generator(generator: Callable, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name: str | None = None) -> Dataset:
        """Elements yielded by `generator(*args)`, checked against `output_signature`.

        Example: `Dataset.from_generator(gen, output_signature=tf.TensorSpec((), tf.int32))`.
        """
        from fuseflow.data import sources

        if output_signature is None:
            if output_types is None:
                raise TypeError("from_generator: pass `output_signature` (or `output_types`)")
            output_signature = sources.signature_from_types(output_types, output_shapes)
        elif output_types is not None or output_shapes is not None:
            raise TypeError("from_generator: `output_types`/`output_shapes` cannot be combined "
                            "with `output_signature`")
        return sources.GeneratorDataset(generator, _tupled_signature(output_signature), args)

    @staticmethod
    def zip(*datasets, name: str | None = None) -> Dataset:
        """Elements of several datasets side by side: `zip(a, b)` or `zip((a, {"k": b}))`."""
        from fuseflow.data.sources import ZipDataset

        if len(datasets) == 1 and not isinstance(datasets[0], Dataset):
            datasets = datasets[0]
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        return ZipDataset(datasets)

    # -- transformations ----------------------------------------------------------------------
    def map(self, map_func: Callable, num_parallel_calls=None, deterministic=None,
            name: str | None = None) -> Dataset:
        """Apply `map_func` to each element; tuple elements are unpacked into its arguments."""
        from fuseflow.data.transforms import MapDataset

        return MapDataset(self, map_func, num_parallel_calls)

    def filter(self, predicate: Callable, name: str | None = None) -> Dataset:
        """Keep the elements for which `predicate` returns a scalar True."""
        from fuseflow.data.transforms import FilterDataset

        return FilterDataset(self, predicate)

    def flat_map(self, map_func: Callable, name: str | None = None) -> Dataset:
        """Map each element to a dataset and chain those datasets."""
        from fuseflow.data.transforms import FlatMapDataset

        return FlatMapDataset(self, map_func)

    def interleave(self, map_func: Callable, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name: str | None = None):
        """Map each element to a dataset; take `block_length` elements from `cycle_length`
        of them in turn."""
        from fuseflow.data.transforms import InterleaveDataset

        return InterleaveDataset(self, map_func, cycle_length, block_length, num_parallel_calls)

    def batch(self, batch_size: int, drop_remainder: bool = False, num_parallel_calls=None,
              deterministic=None, name: str | None = None) -> Dataset:
        """Stack `batch_size` consecutive elements; a short last batch unless `drop_remainder`."""
        from fuseflow.data.batching import BatchDataset

        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size: int, padded_shapes=None, padding_values=None,
                     drop_remainder: bool = False, name: str | None = None) -> Dataset:
        """Batch elements of different shapes, padding them to `padded_shapes` (or the max)."""
        from fuseflow.data.batching import PaddedBatchDataset

        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                  drop_remainder)

    def unbatch(self, name: str | None = None) -> Dataset:
        """Split each element into the rows of its components."""
        from fuseflow.data.batching import UnbatchDataset

        return UnbatchDataset(self)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool | None = None, name: str | None = None):
        """Shuffle with a buffer of `buffer_size` elements (a new order each iteration)."""
        from fuseflow.data.ordering import ShuffleDataset

        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: int | None = None, name: str | None = None) -> Dataset:
        """Repeat the dataset `count` times (forever when None or -1)."""
        from fuseflow.data.ordering import RepeatDataset

        return RepeatDataset(self, count)

    def take(self, count: int, name: str | None = None) -> Dataset:
        """At most the first `count` elements (-1: all)."""
        from fuseflow.data.ordering import TakeDataset

        return TakeDataset(self, count)

    def skip(self, count: int, name: str | None = None) -> Dataset:
        """All but the first `count` elements (-1: none)."""
        from fuseflow.data.ordering import SkipDataset

        return SkipDataset(self, count)

    def prefetch(self, buffer_size: int, name: str | None = None) -> Dataset:
        """Compute up to `buffer_size` elements ahead on a background thread."""
        from fuseflow.data.prefetch import PrefetchDataset

        return PrefetchDataset(self, buffer_size)

    def cache(self, filename: str = "", name: str | None = None) -> Dataset:
        """Keep the elements of the first full iteration in memory (or in files at `filename`)."""
        from fuseflow.data.cache import CacheDataset

        return CacheDataset(self, filename)

    def concatenate(self, dataset: Dataset, name: str | None = None) -> Dataset:
        """The elements of this dataset followed by those of `dataset`."""
        from fuseflow.data.transforms import ConcatenateDataset

        return ConcatenateDataset(self, dataset)

    def enumerate(self, start: int = 0, name: str | None = None) -> Dataset:
        """Pairs `(index, element)` with int64 indices from `start`."""
        from fuseflow.data.sources import ZipDataset
        from fuseflow.data.transforms import CountDataset

        return ZipDataset((CountDataset(start), self))

    # -- introspection ------------------------------------------------------------------------
    @property
    def element_spec(self):
        """The TensorSpec structure of one element."""
        spec = self.__dict__.get("_spec")
        if spec is None:
            spec = self.__dict__["_spec"] = self._compute_spec()
        return spec

    def cardinality(self) -> int:
        """The number of elements, or INFINITE_CARDINALITY (-1) / UNKNOWN_CARDINALITY (-2)."""
        from fuseflow.core.tensor import constant

        return constant(self._cardinality(), dtype="int64")

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True  # a dataset is truthy even when `len()` is unknown or 0, as TF's

    def __repr__(self) -> str:
        return f"<{self._tf_name} element_spec={structure.spec_text(self.element_spec)}>"

    # -- iteration ----------------------------------------------------------------------------
    def __iter__(self) -> DatasetIterator:
        return DatasetIterator(self)

    def as_numpy_iterator(self) -> Iterator:
        """Iterate with NumPy leaves (scalars as NumPy scalars, strings as bytes or str)."""
        return map(structure.to_numpy, self._iter())

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """Return `transformation_func(self)`."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"apply: `transformation_func` must return a Dataset, got {result!r}")
        return result

    def reduce(self, initial_state, reduce_func: Callable):
        """Fold the elements into one value: `state = reduce_func(state, element)`."""
        state = initial_state
        for element in self._iter():
            state = reduce_func(state, *structure.as_args(element))
        return state

    def get_single_element(self):
        """The only element of a one-element dataset."""
        it = self._iter()
        first = next(it, None)
        if first is None:
            raise ValueError("get_single_element: the dataset is empty")
        if next(it, None) is not None:
            raise ValueError("get_single_element: the dataset has more than one element")
        return structure.to_tensors(first)

    def options(self):
        return {}

    def with_options(self, options) -> Dataset:
        """Accepted for compatibility; fuseflow has no dataset options to set."""
        return self


def _tupled_signature(signature):
    """Lists in a signature are tuples (structure), as TF reads them."""
    from fuseflow.core import nest

    if isinstance(signature, list):
        signature = tuple(signature)
    if isinstance(signature, tuple) and not hasattr(type(signature), "_fields"):
        return tuple(_tupled_signature(s) for s in signature)
    if isinstance(signature, dict):
        return type(signature)((k, _tupled_signature(v)) for k, v in signature.items())
    if not isinstance(signature, TensorSpec) and not nest.is_nested(signature):
        raise TypeError(f"from_generator: `output_signature` must be a structure of TensorSpec, "
                        f"got {signature!r}")
    return signature


class DatasetIterator:
    """An iterator over a dataset's elements, with Tensor leaves (`iter(dataset)`)."""

    def __init__(self, dataset: Dataset):
        self._dataset = dataset
        self._it = dataset._iter()

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __iter__(self) -> DatasetIterator:
        return self

    def __next__(self):
        return structure.to_tensors(next(self._it))

    def get_next(self):
        """The next element; raises OutOfRangeError at the end, as TF's `get_next()`."""
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError(None, "End of sequence") from None

    def close(self) -> None:
        """Stop iterating now (ends prefetch threads and discards partial caches)."""
        self._it.close()
