"""Index plans: the fast path for pipelines whose elements are rows of in-memory arrays.

`from_tensor_slices(arrays)` followed by shuffle/repeat/take/skip only reorders row indices.
Such a pipeline is an `IndexPlan`: the arrays plus a stream of index chunks (`range`s or int64
arrays). `batch` then gathers whole batches with one slice or one `take` per array instead of
building and stacking one element at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from fuseflow.core import nest

Chunk = range | np.ndarray
DRAWS = 1024  # uniform numbers drawn at a time, and shuffle steps done per block


@dataclass(frozen=True)
class IndexPlan:
    """Rows of `arrays` (a structure of ndarrays sharing a leading dim) in `chunks()` order."""

    arrays: object
    chunks: Callable[[], Iterator[Chunk]]

    def with_chunks(self, chunks: Callable[[], Iterator[Chunk]]) -> IndexPlan:
        return IndexPlan(self.arrays, chunks)

    def rows(self) -> Iterator:
        """Yield one element per index."""
        leaves = nest.flatten(self.arrays)
        template = self.arrays
        if type(template) is tuple and all(type(x) is np.ndarray for x in template):
            for chunk in self.chunks():
                for i in chunk:
                    yield tuple(leaf[i, ...] for leaf in leaves)
            return
        for chunk in self.chunks():
            for i in chunk:
                yield nest.pack_sequence_as(template, [leaf[i, ...] for leaf in leaves])

    def batches(self, batch_size: int, drop_remainder: bool) -> Iterator:
        """Yield batches of rows, gathered array by array."""
        leaves = nest.flatten(self.arrays)
        flat = type(self.arrays) is tuple and all(type(a) is np.ndarray for a in self.arrays)
        for pieces in _group(self.chunks(), batch_size, drop_remainder):
            batch = _gather(leaves, pieces)
            yield tuple(batch) if flat else nest.pack_sequence_as(self.arrays, batch)


def _group(chunks: Iterator[Chunk], size: int, drop_remainder: bool) -> Iterator[list[Chunk]]:
    pieces: list[Chunk] = []
    count = 0
    for chunk in chunks:
        while len(chunk):
            take = min(size - count, len(chunk))
            pieces.append(chunk[:take])
            chunk = chunk[take:]
            count += take
            if count == size:
                yield pieces
                pieces, count = [], 0
    if count and not drop_remainder:
        yield pieces


def _gather(leaves: list[np.ndarray], pieces: list[Chunk]) -> list[np.ndarray]:
    if len(pieces) == 1 and isinstance(pieces[0], range) and pieces[0].step == 1:
        rows = slice(pieces[0].start, pieces[0].stop)
        return [leaf[rows] for leaf in leaves]  # a view: no copy for in-order batches
    index = np.concatenate([np.asarray(p, dtype=np.int64) for p in pieces])
    return [np.take(leaf, index, axis=0) for leaf in leaves]


class Draws:
    """Uniform numbers in [0, 1), drawn from `rng` in blocks of DRAWS (both shuffle paths
    draw the same blocks, so they agree on the order)."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._left = np.empty(0)

    def take(self, count: int) -> np.ndarray:
        parts = []
        while count:
            if not len(self._left):
                self._left = self._rng.random(DRAWS)
            part, self._left = self._left[:count], self._left[count:]
            parts.append(part)
            count -= len(part)
        return np.concatenate(parts) if parts else np.empty(0)


class _Reader:
    """Read a stream of index chunks `count` indices at a time."""

    def __init__(self, chunks: Iterator[Chunk]):
        self._chunks = chunks
        self._rest: Chunk = range(0)

    def read(self, count: int) -> np.ndarray:
        parts = []
        while count:
            if not len(self._rest):
                self._rest = next(self._chunks, None)
                if self._rest is None:
                    self._rest = range(0)
                    break
            part, self._rest = self._rest[:count], self._rest[count:]
            parts.append(np.asarray(part, dtype=np.int64))
            count -= len(part)
        return np.concatenate(parts) if parts else np.empty(0, np.int64)


def shuffle_chunks(chunks: Iterator[Chunk], buffer_size: int, rng) -> Iterator[np.ndarray]:
    """The order `buffer_shuffle` gives, computed on index arrays a block at a time."""
    source, draws = _Reader(chunks), Draws(rng)
    buffer = source.read(buffer_size)
    while True:
        incoming = source.read(DRAWS)
        if not len(incoming):
            break
        slots = (draws.take(len(incoming)) * len(buffer)).astype(np.int64)
        yield _replace_block(buffer, slots, incoming)
    sizes = np.arange(len(buffer), 0, -1)
    slots = (draws.take(len(buffer)) * sizes).astype(np.int64)
    yield _drain(buffer.tolist(), slots.tolist())


def _replace_block(buffer: np.ndarray, slots: np.ndarray, incoming: np.ndarray) -> np.ndarray:
    """Steps "emit buffer[slot], then buffer[slot] = incoming[t]" for a block, vectorized.

    The value emitted at step t is the last value written to its slot before t: a stable
    sort by slot puts each step right after the previous step that wrote the same slot.
    """
    order = np.argsort(slots, kind="stable")
    sorted_slots = slots[order]
    repeat = np.zeros(len(slots), dtype=np.bool_)
    repeat[1:] = sorted_slots[1:] == sorted_slots[:-1]
    previous = np.full(len(slots), -1, dtype=np.int64)
    previous[order[repeat]] = order[np.flatnonzero(repeat) - 1]
    out = np.where(previous >= 0, incoming[previous], buffer[slots])
    last = np.ones(len(slots), dtype=np.bool_)
    last[:-1] = ~repeat[1:]
    buffer[sorted_slots[last]] = incoming[order[last]]
    return out


def _drain(buffer: list[int], slots: list[int]) -> np.ndarray:
    """Steps "emit buffer[slot], move the last value into it" once the input has ended."""
    out = []
    for slot in slots:
        out.append(buffer[slot])
        buffer[slot] = buffer[-1]
        buffer.pop()
    return np.array(out, dtype=np.int64)


def take_chunks(chunks: Iterator[Chunk], count: int) -> Iterator[Chunk]:
    """The first `count` indices (all when count < 0)."""
    if count < 0:
        yield from chunks
        return
    for chunk in chunks:
        if count <= 0:
            return
        yield chunk[:count]
        count -= len(chunk)


def skip_chunks(chunks: Iterator[Chunk], count: int) -> Iterator[Chunk]:
    """All but the first `count` indices (none when count < 0)."""
    if count < 0:
        return
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:]
        count = 0
