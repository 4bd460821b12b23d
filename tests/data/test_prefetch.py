import threading

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset

WAIT = 10.0  # a safety limit for events that must happen; never reached when the code works


class Produced:
    """A generator source that counts the elements it has produced."""

    def __init__(self, n):
        self.n = n
        self.count = 0
        self.reached = {}
        self.lock = threading.Lock()
        self.closed = threading.Event()

    def event(self, k):
        with self.lock:
            return self.reached.setdefault(k, threading.Event())

    def __call__(self):
        try:
            for i in range(self.n):
                with self.lock:
                    self.count += 1
                    event = self.reached.setdefault(self.count, threading.Event())
                event.set()
                yield i
        finally:
            self.closed.set()

    def dataset(self):
        return Dataset.from_generator(self, output_signature=ff.TensorSpec((), ff.int64))


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "fuseflow-prefetch"]


def test_prefetch_keeps_order_and_elements():
    ds = Dataset.range(100).map(lambda x: x * 2).prefetch(3)
    assert [int(v) for v in ds] == list(range(0, 200, 2))
    assert len(ds) == 100


def test_prefetch_runs_ahead_of_the_consumer():
    source = Produced(100)
    it = iter(source.dataset().prefetch(5))
    assert int(next(it)) == 0
    # Without taking anything more, the producer fills the buffer: 1 taken + 5 buffered.
    assert source.event(6).wait(WAIT)
    assert source.count >= 6
    it.close()


def test_prefetch_producer_is_bounded_by_the_buffer():
    source = Produced(1000)
    it = iter(source.dataset().prefetch(2))
    next(it)
    assert source.event(3).wait(WAIT)
    # the producer now blocks on a full channel: it cannot have produced a 3rd extra element
    # (1 taken + 2 buffered + at most 1 in hand)
    assert source.count <= 4
    it.close()


def test_stopping_early_ends_the_thread_and_closes_the_source():
    source = Produced(10**6)
    before = len(prefetch_threads())
    for i, _ in enumerate(source.dataset().prefetch(4)):
        if i == 3:
            break
    assert source.closed.wait(WAIT)
    assert len(prefetch_threads()) == before


def test_take_after_prefetch_closes_the_producer():
    source = Produced(10**6)
    assert [int(v) for v in source.dataset().prefetch(2).take(3)] == [0, 1, 2]
    assert source.closed.wait(WAIT)


def test_producer_exceptions_are_raised_in_the_consumer():
    def failing():
        yield 1
        raise KeyError("bad record")

    ds = Dataset.from_generator(failing, output_signature=ff.TensorSpec((), ff.int32)).prefetch(2)
    it = iter(ds)
    assert int(next(it)) == 1
    with pytest.raises(KeyError, match="bad record"):
        next(it)


def test_nested_prefetch_and_autotune():
    ds = Dataset.from_tensor_slices(np.arange(50)).prefetch(1).batch(7).prefetch(ff.data.AUTOTUNE)
    assert [b.tolist() for b in ds.as_numpy_iterator()][-1] == [49]
    assert repr(ds).startswith("<_PrefetchDataset element_spec=TensorSpec(shape=(None,)")


def test_prefetch_zero_is_a_pass_through():
    assert [int(v) for v in Dataset.range(3).prefetch(0)] == [0, 1, 2]


def test_get_next_raises_out_of_range_at_the_end():
    it = iter(Dataset.range(1).prefetch(1))
    it.get_next()
    with pytest.raises(ff.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()
