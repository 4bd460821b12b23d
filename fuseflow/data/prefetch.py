"""`prefetch`: a background thread runs the input pipeline ahead of the consumer.

The producer fills a bounded channel; the consumer takes from it. Stopping early (break, close,
garbage collection of the iterator) wakes the producer, which closes its input and exits; the
consumer joins it, so no thread outlives its iterator. A producer's exception is re-raised in
the consumer, with its traceback.
"""

from __future__ import annotations

import threading
from collections import deque

from fuseflow.data.dataset import AUTOTUNE, Dataset

AUTOTUNE_BUFFER = 4  # batches held ahead when the buffer size is AUTOTUNE


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


class Channel:
    """A bounded FIFO between one producer thread and one consumer, which can be stopped."""

    def __init__(self, capacity: int):
        self._items: deque = deque()
        self._capacity = capacity
        self._cond = threading.Condition()
        self.stopped = False

    def put(self, item) -> bool:
        """Wait for room and add `item`; False when the consumer has stopped."""
        with self._cond:
            while len(self._items) >= self._capacity and not self.stopped:
                self._cond.wait()
            if self.stopped:
                return False
            self._items.append(item)
            self._cond.notify_all()
            return True

    def finish(self, item) -> None:
        """Add the last item even when full (the end marker or an error)."""
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def get(self):
        with self._cond:
            while not self._items:
                self._cond.wait()
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._items.clear()
            self._cond.notify_all()


def _produce(iterator, channel: Channel) -> None:
    try:
        for item in iterator:
            if not channel.put(item):
                break
        else:
            channel.finish(_DONE)
    except BaseException as error:  # re-raised in the consumer
        channel.finish(_Raised(error))
    finally:
        iterator.close()


class PrefetchDataset(Dataset):
    """The input, computed up to `buffer_size` elements ahead on a background thread."""

    _tf_name = "_PrefetchDataset"

    def __init__(self, input: Dataset, buffer_size=AUTOTUNE):
        self._input = input
        size = int(buffer_size)
        if size < 0 and size != AUTOTUNE:
            raise ValueError(f"prefetch: `buffer_size` must be >= 0 or AUTOTUNE, got {size}")
        self._size = AUTOTUNE_BUFFER if size == AUTOTUNE else size

    def _iter(self):
        if self._size == 0:
            return self._input._iter()
        return self._prefetched()

    def _prefetched(self):
        channel = Channel(self._size)
        upstream = self._input._iter()
        if not hasattr(upstream, "close"):
            upstream = (item for item in upstream)
        thread = threading.Thread(target=_produce, args=(upstream, channel), daemon=True,
                                  name="fuseflow-prefetch")
        thread.start()
        try:
            while True:
                item = channel.get()
                if item is _DONE:
                    return
                if type(item) is _Raised:
                    raise item.error
                yield item
        finally:
            channel.stop()
            thread.join()

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return self._input._cardinality()
