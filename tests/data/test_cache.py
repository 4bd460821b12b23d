import os

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset


class Counting:
    def __init__(self, items):
        self.items = items
        self.calls = 0

    def __call__(self):
        self.calls += 1
        yield from self.items


def values(ds):
    return list(ds.as_numpy_iterator())


def counted(items, spec=None):
    spec = spec or ff.TensorSpec((), ff.int32)
    source = Counting(items)
    return source, Dataset.from_generator(source, output_signature=spec)


def test_memory_cache_runs_the_input_once():
    source, ds = counted([1, 2, 3])
    ds = ds.cache()
    assert values(ds) == values(ds) == [1, 2, 3]
    assert source.calls == 1


def test_memory_cache_drops_a_partial_iteration():
    source, ds = counted([1, 2, 3])
    ds = ds.cache()
    it = iter(ds)
    next(it)
    it.close()
    assert values(ds) == [1, 2, 3]
    assert values(ds) == [1, 2, 3]
    assert source.calls == 2


def test_cache_after_shuffle_freezes_the_first_order():
    ds = Dataset.range(20).shuffle(20, seed=1).cache()
    assert values(ds) == values(ds)


def test_file_cache_is_written_once_and_read_back(tmp_path):
    prefix = str(tmp_path / "sub" / "train")
    spec = (ff.TensorSpec((2,), ff.float32), ff.TensorSpec((), ff.string))
    items = [(np.array([i, i + 0.5], np.float32), b"x" * i) for i in range(3)]
    source, ds = counted(items, spec)
    first = values(ds.cache(prefix))
    assert sorted(os.listdir(tmp_path / "sub")) == ["train.data-00000-of-00001", "train.index"]
    source2, ds2 = counted([], spec)  # another dataset, same files: nothing is recomputed
    second = values(ds2.cache(prefix))
    assert source2.calls == 0
    assert [(a.tolist(), b) for a, b in second] == [(a.tolist(), b) for a, b in first]
    assert second[2][1] == b"xx"


def test_file_cache_of_a_partial_iteration_leaves_no_files(tmp_path):
    prefix = str(tmp_path / "c")
    it = iter(Dataset.range(10).cache(prefix))
    next(it)
    it.close()
    assert os.listdir(tmp_path) == []


def test_file_cache_writer_failure_leaves_the_old_cache(tmp_path):
    prefix = str(tmp_path / "c")
    values(Dataset.range(3).cache(prefix))

    def failing():
        yield 1
        raise RuntimeError("disk gone")

    os.remove(prefix + ".index")  # force a rewrite of the data file
    data_before = open(prefix + ".data-00000-of-00001", "rb").read()
    ds = Dataset.from_generator(failing, output_signature=ff.TensorSpec((), ff.int64))
    with pytest.raises(RuntimeError, match="disk gone"):
        values(ds.cache(prefix))
    assert open(prefix + ".data-00000-of-00001", "rb").read() == data_before
    assert sorted(os.listdir(tmp_path)) == ["c.data-00000-of-00001"]


def test_truncated_cache_file_is_a_named_error(tmp_path):
    prefix = str(tmp_path / "c")
    values(Dataset.range(50).cache(prefix))
    path = prefix + ".data-00000-of-00001"
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    with pytest.raises(ff.errors.InvalidArgumentError, match="truncated or corrupt"):
        values(Dataset.range(50).cache(prefix))


def test_cache_of_other_elements_is_a_named_error(tmp_path):
    prefix = str(tmp_path / "c")
    values(Dataset.range(3).cache(prefix))
    with pytest.raises(ff.errors.InvalidArgumentError, match="c.index"):
        values(Dataset.from_tensor_slices([1.0, 2.0]).cache(prefix))


def test_cache_keeps_cardinality_and_spec():
    ds = Dataset.range(4).batch(3).cache()
    assert len(ds) == 2
    assert ds.element_spec == ff.TensorSpec((None,), ff.int64)
