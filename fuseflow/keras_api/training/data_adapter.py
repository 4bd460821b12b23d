"""Turning what `fit`/`evaluate`/`predict` receive into batches of `(x, y, sample_weight)`.

Arrays (NumPy, tensors, lists/dicts of them) are sliced in memory; anything else iterable
(a `Dataset`, a generator, a `keras.utils.Sequence`) yields ready batches.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping

import numpy as np

from fuseflow.core import nest
from fuseflow.core.tensor import Tensor, wrap

INFINITE = -1
UNKNOWN = -2


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found a tuple of {len(data)} elements")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse of `unpack_x_y_sample_weight` (a lone non-nested `x` stays unwrapped)."""
    if y is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _as_array(value) -> np.ndarray:
    array = value.numpy() if isinstance(value, Tensor) or hasattr(value, "_as_tensor") else (
        np.asarray(value))
    array = np.asarray(array)
    if array.dtype == np.float64:
        array = array.astype(np.float32)  # Keras feeds floats as floatx
    return array


def as_arrays(value):
    """Arrays for every input: a list/tuple holding arrays or tensors is a structure (several
    inputs); one holding only Python numbers is data for a single array."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return type(value)((k, as_arrays(v)) for k, v in value.items())
    if isinstance(value, list | tuple) and any(
            isinstance(leaf, np.ndarray | Tensor) or hasattr(leaf, "_as_tensor")
            for leaf in nest.flatten(value)):
        return type(value)(as_arrays(v) for v in value)
    return _as_array(value)


def _to_tensor(value):
    if value is None or isinstance(value, Tensor):
        return value
    return wrap(np.ascontiguousarray(_as_array(value)))


def to_tensors(structure):
    """Every leaf of `structure` as a Tensor (float64 arrays become float32)."""
    if structure is None:
        return None
    return nest.map_structure(_to_tensor, structure)


def _is_batch_list(value) -> bool:
    """A list of ready `(x, y[, sample_weight])` batches (not a list of input arrays)."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, tuple | list) and 1 <= len(item) <= 3 and any(
            isinstance(leaf, np.ndarray | Tensor) for leaf in nest.flatten(item))
        for item in value)


def is_array_like(value) -> bool:
    """True for data sliced in memory: arrays, tensors, and lists/tuples/dicts of them."""
    if _is_batch_list(value):
        return False
    if value is None or isinstance(value, np.ndarray | Tensor | int | float):
        return True
    if hasattr(value, "_as_tensor"):
        return True
    if isinstance(value, Mapping):
        return all(is_array_like(v) for v in value.values())
    if isinstance(value, list | tuple):
        return True
    return False


def class_weights_for(y, class_weight: dict) -> np.ndarray:
    """Per-sample weights `class_weight[label]` (labels are arg-maxed when one-hot)."""
    if isinstance(y, list | tuple | Mapping) and not isinstance(y, np.ndarray):
        flat = nest.flatten(y)
        if len(flat) != 1:
            raise ValueError("`class_weight` is only supported for models with a single "
                             f"output; received {len(flat)} targets")
        y = flat[0]
    y = _as_array(y)
    labels = y.argmax(-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    table = np.ones(max(int(labels.max(initial=0)), *map(int, class_weight)) + 1, np.float32)
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[labels]


def _combine_weights(sample_weight, y, class_weight):
    if not class_weight:
        return sample_weight
    weights = class_weights_for(y, class_weight)
    return weights if sample_weight is None else _as_array(sample_weight) * weights


def train_validation_split(arrays, validation_split: float):
    """Split each array: the first `1 - validation_split` for training, the rest validation."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be between 0 and 1, received "
                         f"{validation_split!r}")
    flat = nest.flatten(as_arrays(arrays[0]))
    n = len(flat[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                         f"split it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`")

    arrays = tuple(as_arrays(a) for a in arrays)

    def cut(part):
        return lambda a: a[part]

    first = tuple(None if a is None else nest.map_structure(cut(slice(0, split_at)), a)
                  for a in arrays)
    second = tuple(None if a is None else nest.map_structure(cut(slice(split_at, None)), a)
                   for a in arrays)
    return first, second


class ArrayData:
    """In-memory arrays sliced into (optionally shuffled) batches."""

    def __init__(self, x, y=None, sample_weight=None, batch_size: int | None = 32,
                 steps: int | None = None, shuffle=False, class_weight: dict | None = None):
        x, y = as_arrays(x), as_arrays(y)
        sample_weight = _combine_weights(sample_weight, y, class_weight) if y is not None else (
            sample_weight)
        sample_weight = as_arrays(sample_weight)
        self._data = (x, y, sample_weight)
        self._check_sizes(x, y, sample_weight)
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive int, received {batch_size!r}")
        self.shuffle = bool(shuffle)
        batches = max(1, math.ceil(self.num_samples / self.batch_size))
        self.steps = int(steps) if steps else batches
        self._stream: Iterator | None = None
        self._steps_given = bool(steps)

    def _check_sizes(self, x, y, sample_weight) -> None:
        sizes = {}
        for label, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            if part is not None:
                sizes[label] = [len(a) if a.ndim else 1 for a in nest.flatten(part)]
        every = {s for group in sizes.values() for s in group}
        if len(every) > 1:
            detail = "\n".join(f"  {k} sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
            raise ValueError("Data cardinality is ambiguous:\n" + detail +
                             "\nMake sure all arrays contain the same number of samples.")
        if not every or 0 in every:
            raise ValueError("fit/evaluate/predict received empty input data (0 samples)")
        self.num_samples = every.pop()

    def _epoch_order(self) -> Iterator:
        n, size = self.num_samples, self.batch_size
        order = np.random.permutation(n) if self.shuffle else None
        for start in range(0, n, size):
            if order is None:
                part = slice(start, min(start + size, n))
            else:
                part = np.sort(order[start:start + size])
            yield tuple(None if d is None else nest.map_structure(
                lambda a, p=part: _to_tensor(a[p]), d) for d in self._data)

    def _forever(self) -> Iterator:
        while True:
            yield from self._epoch_order()

    def epoch(self) -> Iterator:
        """The batches of one epoch, each packed as `(x, y, sample_weight)` minus the Nones."""
        if self._steps_given:
            self._stream = self._stream or self._forever()
            source = self._stream
        else:
            source = self._epoch_order()
        for _, batch in zip(range(self.steps), source):
            yield pack_x_y_sample_weight(*batch)


def cardinality(data) -> int | None:
    """The number of batches `data` yields, INFINITE, or None when unknown."""
    if hasattr(data, "cardinality"):
        value = int(np.asarray(data.cardinality()))
        return None if value == UNKNOWN else value
    if hasattr(data, "__len__"):
        return len(data)
    return None


class IterableData:
    """Batches from a Dataset, generator, `keras.utils.Sequence` or any iterable."""

    def __init__(self, data, steps: int | None = None, class_weight: dict | None = None):
        self._data = data
        self._class_weight = class_weight
        count = cardinality(data)
        if count == INFINITE and not steps:
            raise ValueError("When passing an infinitely repeating dataset, please specify a "
                             "`steps_per_epoch` (or `validation_steps`/`steps`) value")
        self.steps = int(steps) if steps else count
        self._is_iterator = iter(data) is data if hasattr(data, "__iter__") else False
        self._persistent = self._is_iterator or (bool(steps) and steps != count)
        self._iterator: Iterator | None = None
        self.exhausted = False

    def _source(self) -> Iterator:
        data = self._data
        if hasattr(data, "__getitem__") and hasattr(data, "on_epoch_end") and hasattr(
                data, "__len__"):
            return (data[i] for i in range(len(data)))
        return iter(data)

    def epoch(self) -> Iterator:
        """The batches of one epoch (the iterator continues across epochs when
        `steps_per_epoch` cuts epochs short)."""
        if self._iterator is None or not self._persistent:
            self._iterator = self._source()
        count = 0
        while self.steps is None or count < self.steps:
            try:
                element = next(self._iterator)
            except StopIteration:
                if self.steps is not None and self._persistent:
                    self.exhausted = True
                    warnings.warn("Your input ran out of data; interrupting training. Make sure "
                                  "that your dataset or generator can generate at least "
                                  f"`steps_per_epoch * epochs` batches ({self.steps} per "
                                  "epoch). You may need to use `.repeat()`.", stacklevel=3)
                break
            count += 1
            yield self._prepare(element)
        if self.steps is None:
            self.steps = count  # learned from the first full pass
        on_epoch_end = getattr(self._data, "on_epoch_end", None)
        if callable(on_epoch_end):
            on_epoch_end()

    def _prepare(self, element):
        x, y, sample_weight = unpack_x_y_sample_weight(element)
        if self._class_weight and y is not None:
            sample_weight = _combine_weights(sample_weight, y, self._class_weight)
        return pack_x_y_sample_weight(to_tensors(x), to_tensors(y), to_tensors(sample_weight))


def make_data(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
              class_weight=None, what: str = "fit"):
    """ArrayData for in-memory arrays, IterableData for datasets and generators."""
    if x is None:
        raise ValueError(f"{what}: `x` is required; received x=None")
    if is_array_like(x):
        return ArrayData(x, y, sample_weight, batch_size, steps, shuffle, class_weight)
    if y is not None:
        raise ValueError(f"{what}: `y` argument is not supported when using a dataset, "
                         f"generator or Sequence as input (received y of type "
                         f"{type(y).__name__}); the input must yield (x, y) batches")
    if sample_weight is not None:
        raise ValueError(f"{what}: `sample_weight` argument is not supported when using a "
                         "dataset, generator or Sequence as input; yield (x, y, "
                         "sample_weight) batches instead")
    if not hasattr(x, "__iter__") and not hasattr(x, "__getitem__"):
        raise ValueError(f"{what}: unrecognized data type x={type(x).__name__}; expected "
                         "NumPy arrays, tensors, dicts/lists of them, a Dataset or a generator")
    return IterableData(x, steps, class_weight)
