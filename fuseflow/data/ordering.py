"""Order and count: shuffle, repeat, take and skip.

Each works on elements, and on index plans too, so a shuffled, repeated stream of tensor slices
still batches by gathering rows. Both paths draw the same random numbers, so a seeded shuffle
gives the same order whether or not a batch follows.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator

import numpy as np

from fuseflow.core.errors import InvalidArgumentError
from fuseflow.data import plans
from fuseflow.data.dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset

_END = object()


def buffer_shuffle(items: Iterator, buffer_size: int, rng: np.random.Generator) -> Iterator:
    """TF's shuffle buffer: fill it, emit a random slot, refill that slot with the next item."""
    buffer = list(itertools.islice(items, buffer_size))
    draws = plans.Draws(rng)
    pending: list[float] = []
    while buffer:
        if not pending:
            pending = draws.take(plans.DRAWS).tolist()
            pending.reverse()
        slot = int(pending.pop() * len(buffer))
        out = buffer[slot]
        following = next(items, _END)
        if following is _END:
            buffer[slot] = buffer[-1]
            buffer.pop()
        else:
            buffer[slot] = following
        yield out


def _take(items: Iterator, count: int) -> Iterator:
    """The first `count` items; the input is closed at once (ending any prefetch thread)."""
    if count == 0:
        return
    try:
        for n, item in enumerate(items, 1):
            yield item
            if n == count:
                return
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


class ShuffleDataset(Dataset):
    """Elements in random order, drawn from a buffer of `buffer_size` (`Dataset.shuffle`)."""

    _tf_name = "_ShuffleDataset"

    def __init__(self, input: Dataset, buffer_size, seed=None,
                 reshuffle_each_iteration: bool | None = None):
        self._input = input
        self._size = int(buffer_size)
        if self._size <= 0 and self._size != -1:
            raise InvalidArgumentError("shuffle", f"`buffer_size` must be > 0 (or -1 for the "
                                       f"whole dataset), got {buffer_size!r}")
        self._seed = int(seed) if seed is not None else secrets.randbits(63)
        self._reshuffle = True if reshuffle_each_iteration is None else bool(
            reshuffle_each_iteration)
        self._epochs = itertools.count()

    def _rng(self) -> np.random.Generator:
        epoch = next(self._epochs) if self._reshuffle else 0
        return np.random.default_rng([self._seed, epoch])

    def _buffer_size(self) -> int:
        if self._size != -1:
            return self._size
        n = self._input._cardinality()
        return n if n >= 0 else 1 << 62  # -1: the whole (finite) dataset

    def _iter(self):
        return buffer_shuffle(self._input._iter(), self._buffer_size(), self._rng())

    def _index_plan(self):
        plan = self._input._index_plan()
        if plan is None:
            return None

        def chunks():
            return plans.shuffle_chunks(plan.chunks(), self._buffer_size(), self._rng())

        return plan.with_chunks(chunks)

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return self._input._cardinality()


class RepeatDataset(Dataset):
    """The input `count` times over (forever when count is None or -1) (`Dataset.repeat`)."""

    _tf_name = "_RepeatDataset"

    def __init__(self, input: Dataset, count=None):
        self._input = input
        self._count = -1 if count is None else int(count)

    def _epochs(self, start, size=lambda item: 1) -> Iterator:
        """Items of `start()` again and again; `size(item)` counts elements (chunks hold many)."""
        epoch = 0
        while self._count < 0 or epoch < self._count:
            empty = True
            for item in start():
                empty = empty and size(item) == 0
                yield item
            if empty:
                return  # repeating an empty input forever would never yield: stop, as TF
            epoch += 1

    def _iter(self):
        return self._epochs(self._input._iter)

    def _index_plan(self):
        plan = self._input._index_plan()
        if plan is None:
            return None
        return plan.with_chunks(lambda: self._epochs(plan.chunks, len))

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return 0 if n == 0 else INFINITE_CARDINALITY
        if self._count == 0:
            return 0
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return n * self._count


class TakeDataset(Dataset):
    """At most the first `count` elements (all when count is -1) (`Dataset.take`)."""

    _tf_name = "_TakeDataset"

    def __init__(self, input: Dataset, count):
        self._input = input
        self._count = int(count)

    def _iter(self):
        if self._count < 0:
            return self._input._iter()
        return _take(self._input._iter(), self._count)

    def _index_plan(self):
        plan = self._input._index_plan()
        if plan is None:
            return None
        return plan.with_chunks(lambda: plans.take_chunks(plan.chunks(), self._count))

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n == UNKNOWN_CARDINALITY:
            return n
        if self._count < 0:
            return n
        if n == INFINITE_CARDINALITY:
            return self._count
        return min(n, self._count)


class SkipDataset(Dataset):
    """All but the first `count` elements (none when count is -1) (`Dataset.skip`)."""

    _tf_name = "_SkipDataset"

    def __init__(self, input: Dataset, count):
        self._input = input
        self._count = int(count)

    def _iter(self):
        if self._count < 0:
            return iter(())
        return itertools.islice(self._input._iter(), self._count, None)

    def _index_plan(self):
        plan = self._input._index_plan()
        if plan is None:
            return None
        return plan.with_chunks(lambda: plans.skip_chunks(plan.chunks(), self._count))

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        if self._count < 0:
            return 0
        return max(0, n - self._count)
