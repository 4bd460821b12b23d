import logging

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset


def values(ds):
    return list(ds.as_numpy_iterator())


def test_map_receives_tensors_and_keeps_order():
    seen = []

    def double(x):
        seen.append(type(x))
        return x * 2

    assert values(Dataset.range(4).map(double)) == [0, 2, 4, 6]
    assert seen and all(issubclass(t, ff.Tensor) for t in seen)


def test_map_unpacks_tuples_into_arguments():
    ds = Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 10)).map(lambda x, y: x + y)
    assert values(ds) == [0, 11, 22]


def test_map_passes_a_dict_as_one_argument_and_lists_become_tuples():
    ds = Dataset.from_tensor_slices({"a": [1, 2], "b": [3, 4]}).map(lambda d: [d["a"], d["b"]])
    assert values(ds) == [(1, 3), (2, 4)]
    assert isinstance(ds.element_spec, tuple)


def test_map_element_spec_and_cardinality():
    ds = Dataset.range(5).map(lambda x: (x, ff.cast(x, ff.float32)))
    assert ds.element_spec == (ff.TensorSpec((), ff.int64), ff.TensorSpec((), ff.float32))
    assert len(ds) == 5
    assert repr(ds).startswith("<_MapDataset element_spec=(TensorSpec(shape=(), dtype=tf.int64")


def test_map_spec_after_batch_keeps_the_batch_dim_unknown():
    ds = Dataset.from_tensor_slices(np.zeros((10, 3), np.float32)).batch(4).map(lambda x: x * 2)
    assert ds.element_spec == ff.TensorSpec((None, 3), ff.float32)


def test_map_with_num_parallel_calls_keeps_order():
    ds = Dataset.range(20).map(lambda x: x + 1, num_parallel_calls=ff.data.AUTOTUNE)
    assert values(ds) == list(range(1, 21))
    assert repr(ds).startswith("<_ParallelMapDataset")


def test_map_function_that_cannot_trace_runs_eagerly_and_logs_once(caplog):
    def needs_values(x):
        return int(x.numpy()) * 3  # reads a concrete value: only possible eagerly

    with caplog.at_level(logging.INFO, logger="fuseflow"):
        assert values(Dataset.range(3).map(needs_values)) == [0, 3, 6]
    assert len([r for r in caplog.records if "needs_values" in r.getMessage()]) <= 1


def test_map_errors_propagate_from_the_function():
    def broken(x):
        raise RuntimeError("boom in map")

    with pytest.raises(RuntimeError, match="boom in map"):
        values(Dataset.range(2).map(broken))


def test_map_returning_none_is_an_error():
    with pytest.raises(TypeError, match="returned None"):
        values(Dataset.range(2).map(lambda x: None))


def test_filter_keeps_matching_elements_in_order():
    ds = Dataset.range(10).filter(lambda x: int(x) % 3 == 0)
    assert values(ds) == [0, 3, 6, 9]
    assert int(ds.cardinality()) == ff.data.UNKNOWN_CARDINALITY


def test_filter_predicate_must_be_a_scalar_bool():
    with pytest.raises(ValueError, match="scalar boolean"):
        values(Dataset.range(3).filter(lambda x: x))


def test_flat_map_chains_returned_datasets():
    ds = Dataset.range(1, 4).flat_map(lambda n: Dataset.range(int(n)))
    assert values(ds) == [0, 0, 1, 0, 1, 2]
    assert ds.element_spec == ff.TensorSpec((), ff.int64)


def test_flat_map_must_return_a_dataset():
    with pytest.raises(TypeError, match="must return a Dataset"):
        values(Dataset.range(2).flat_map(lambda x: x))


def test_interleave_cycles_blocks_as_documented():
    ds = Dataset.range(1, 6).interleave(lambda x: Dataset.from_tensors(x).repeat(6),
                                        cycle_length=2, block_length=4)
    assert values(ds) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3,
                          4, 4, 5, 5, 5, 5, 5, 5]


def test_interleave_refills_an_exhausted_slot_with_the_next_input():
    ds = Dataset.from_tensor_slices([1, 3, 2]).interleave(
        lambda n: Dataset.from_tensors(n).repeat(int(n)), cycle_length=2, block_length=1)
    assert values(ds) == [1, 3, 3, 2, 3, 2]


def test_interleave_rejects_bad_lengths():
    with pytest.raises(ValueError, match="cycle_length"):
        Dataset.range(2).interleave(lambda x: Dataset.range(1), cycle_length=0)


def test_concatenate_order_cardinality_and_relaxed_spec():
    a = Dataset.from_tensor_slices(np.zeros((2, 3), np.float32))
    b = Dataset.from_tensor_slices(np.ones((1, 4), np.float32))
    ds = a.concatenate(b)
    assert [v.shape for v in values(ds)] == [(3,), (3,), (4,)]
    assert ds.element_spec == ff.TensorSpec((None,), ff.float32)
    assert len(ds) == 3
    assert int(a.concatenate(Dataset.range(2).repeat().map(lambda x: ff.cast(
        x, ff.float32) * np.ones(3, np.float32))).cardinality()) == -1


def test_concatenate_rejects_other_dtypes():
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        Dataset.range(2).concatenate(Dataset.from_tensor_slices([1.0]))


def test_enumerate_pairs_int64_indices():
    ds = Dataset.from_tensor_slices(["a", "b"]).enumerate(start=5)
    assert values(ds) == [(5, b"a"), (6, b"b")]
    assert ds.element_spec[0] == ff.TensorSpec((), ff.int64)
    assert len(ds) == 2


def test_reduce_apply_and_single_element():
    assert int(Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)) == 10
    assert len(Dataset.range(5).apply(lambda d: d.take(2))) == 2
    assert int(Dataset.from_tensors(7).get_single_element()) == 7
    with pytest.raises(ValueError, match="more than one"):
        Dataset.range(2).get_single_element()


def test_map_traces_a_traceable_function_once_not_per_element():
    calls = []

    def double(x):
        calls.append(1)  # Python side effects run while tracing, as in TF
        return x * 2

    assert values(Dataset.range(6).map(double)) == [0, 2, 4, 6, 8, 10]
    assert 1 <= len(calls) <= 2  # one trace (plus, at most, the spec trace)


def test_map_element_spec_of_an_empty_input_comes_from_tracing():
    ds = Dataset.range(0).map(lambda x: (ff.cast(x, ff.float32), x))
    assert ds.element_spec == (ff.TensorSpec((), ff.float32), ff.TensorSpec((), ff.int64))
    assert values(ds) == []
