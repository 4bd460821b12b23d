import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset


def values(ds):
    return list(ds.as_numpy_iterator())


def generated(n):
    """The same elements as range(n), through the element-by-element path."""
    return Dataset.from_generator(lambda: iter(range(n)), output_signature=ff.TensorSpec(
        (), ff.int64))


@pytest.mark.parametrize("source", [Dataset.range, generated,
                                    lambda n: Dataset.from_tensor_slices(np.arange(n))])
@pytest.mark.parametrize("n, size, drop, expected", [
    (7, 3, False, [[0, 1, 2], [3, 4, 5], [6]]),
    (7, 3, True, [[0, 1, 2], [3, 4, 5]]),
    (6, 3, True, [[0, 1, 2], [3, 4, 5]]),
    (2, 3, True, []),
    (2, 3, False, [[0, 1]]),
    (0, 3, False, []),
])
def test_batch_groups_consecutive_elements(source, n, size, drop, expected):
    ds = source(n).batch(size, drop_remainder=drop)
    assert [b.tolist() for b in values(ds)] == expected


@pytest.mark.parametrize("drop, dim", [(False, None), (True, 4)])
def test_batch_element_spec(drop, dim):
    ds = Dataset.from_tensor_slices((np.zeros((10, 3), np.float32), np.arange(10))).batch(
        4, drop_remainder=drop)
    assert ds.element_spec == (ff.TensorSpec((dim, 3), ff.float32),
                               ff.TensorSpec((dim,), ff.int64))


@pytest.mark.parametrize("n, size, drop, expected", [
    (10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3), (0, 2, False, 0)])
def test_batch_cardinality(n, size, drop, expected):
    assert len(Dataset.range(n).batch(size, drop)) == expected
    assert len(Dataset.from_tensor_slices(np.arange(n)).batch(size, drop)) == expected


def test_batch_of_slices_matches_the_element_path_on_structures():
    x = np.random.default_rng(0).normal(size=(11, 2, 3)).astype(np.float32)
    arrays = {"x": x, "pair": (np.arange(11), np.arange(11) * 2.0)}
    fast = values(Dataset.from_tensor_slices(arrays).skip(1).take(9).batch(4))
    slow = values(Dataset.from_tensor_slices(arrays).map(lambda d: d).skip(1).take(9).batch(4))
    assert len(fast) == len(slow) == 3
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a["x"], b["x"])
        np.testing.assert_array_equal(a["pair"][1], b["pair"][1])


def test_batch_tensors_are_fuseflow_tensors():
    batch = next(iter(Dataset.from_tensor_slices(np.ones((4, 2))).batch(2)))
    assert isinstance(batch, ff.Tensor) and batch.shape == (2, 2)


def test_batch_of_different_shapes_is_an_error():
    ds = Dataset.from_generator(lambda: iter([[1, 2], [1]]), output_signature=ff.TensorSpec(
        (None,), ff.int32)).batch(2)
    with pytest.raises(ff.errors.InvalidArgumentError, match="different shapes in component 0"):
        values(ds)


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        Dataset.range(3).batch(0)


def test_padded_batch_pads_to_the_longest_in_each_batch():
    ds = Dataset.range(1, 5).map(lambda n: np.full(int(n), int(n))).padded_batch(2)
    batches = values(ds)
    assert batches[0].tolist() == [[1, 0], [2, 2]]
    assert batches[1].tolist() == [[3, 3, 3, 0], [4, 4, 4, 4]]
    assert ds.element_spec.shape == (None, None)


def test_padded_batch_with_fixed_shape_value_and_drop_remainder():
    ds = Dataset.from_generator(lambda: iter([[1], [2, 2], [3]]), output_signature=ff.TensorSpec(
        (None,), ff.int32)).padded_batch(2, padded_shapes=[3], padding_values=-1,
                                         drop_remainder=True)
    assert [b.tolist() for b in values(ds)] == [[[1, -1, -1], [2, 2, -1]]]
    assert ds.element_spec == ff.TensorSpec((2, 3), ff.int32)


def test_padded_batch_too_small_a_shape_is_an_error():
    ds = Dataset.from_generator(lambda: iter([[1, 2, 3]]), output_signature=ff.TensorSpec(
        (None,), ff.int32)).padded_batch(1, padded_shapes=[2])
    with pytest.raises(ff.errors.InvalidArgumentError, match="smaller size"):
        values(ds)


def test_unbatch_inverts_batch():
    ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 2)).batch(2).unbatch()
    assert values(ds) == [(i, 2 * i) for i in range(5)]
    assert ds.element_spec == (ff.TensorSpec((), ff.int64), ff.TensorSpec((), ff.int64))


def test_unbatch_cardinality_is_known_only_with_a_static_batch_dim():
    assert len(Dataset.from_tensors(np.zeros((3, 2))).repeat(2).unbatch()) == 6
    ds = Dataset.range(5).batch(2).unbatch()
    assert int(ds.cardinality()) == ff.data.UNKNOWN_CARDINALITY
    assert int(Dataset.range(5).batch(2).repeat().unbatch().cardinality()) == -1


def test_unbatch_of_scalars_is_an_error():
    with pytest.raises(ValueError, match="rank >= 1"):
        _ = Dataset.range(3).unbatch().element_spec
