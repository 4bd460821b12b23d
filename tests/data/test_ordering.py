import itertools
from collections import Counter

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset


def values(ds):
    return [int(v) if np.ndim(v) == 0 else v.tolist() for v in ds.as_numpy_iterator()]


def slices(n):
    return Dataset.from_tensor_slices(np.arange(n))


def generated(n):
    return Dataset.from_generator(lambda: iter(range(n)), output_signature=ff.TensorSpec(
        (), ff.int64))


SOURCES = [Dataset.range, slices, generated]


@pytest.mark.parametrize("source", SOURCES)
def test_shuffle_with_buffer_one_keeps_order(source):
    assert values(source(20).shuffle(1, seed=3)) == list(range(20))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("buffer_size", [2, 5])
def test_shuffle_emits_only_from_its_buffer(source, buffer_size):
    # At output position k the buffer has seen inputs 0 .. k + buffer_size - 1 only.
    for seed in range(20):
        out = values(source(30).shuffle(buffer_size, seed=seed))
        assert sorted(out) == list(range(30))
        assert all(v <= k + buffer_size - 1 for k, v in enumerate(out))


def test_shuffle_with_a_full_buffer_is_a_uniform_permutation():
    counts = Counter()
    trials = 2400
    for seed in range(trials):
        counts[tuple(values(Dataset.range(3).shuffle(3, seed=seed)))] += 1
    assert set(counts) == set(itertools.permutations(range(3)))
    expected = trials / 6
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 25.0  # 5 degrees of freedom: p < 1e-4 for a fair shuffle


def test_shuffle_position_of_first_element_is_uniform_with_a_full_buffer():
    firsts = Counter(values(Dataset.range(8).shuffle(8, seed=s))[0] for s in range(1600))
    assert set(firsts) == set(range(8))
    assert max(firsts.values()) < 300 and min(firsts.values()) > 100  # expected 200 each


def test_shuffle_seed_is_deterministic_and_reshuffles_each_iteration():
    ds = Dataset.range(50).shuffle(50, seed=7)
    first, second = values(ds), values(ds)
    assert first != second  # a new order each iteration
    again = Dataset.range(50).shuffle(50, seed=7)
    assert values(again) == first and values(again) == second


def test_shuffle_without_reshuffle_repeats_the_same_order():
    ds = Dataset.range(50).shuffle(50, reshuffle_each_iteration=False)
    assert values(ds) == values(ds)
    epochs = values(Dataset.range(10).shuffle(10, seed=1, reshuffle_each_iteration=False).repeat(2))
    assert epochs[:10] == epochs[10:]


def test_shuffle_then_repeat_reshuffles_every_epoch():
    epochs = values(Dataset.range(30).shuffle(30, seed=1).repeat(3))
    orders = [epochs[i:i + 30] for i in (0, 30, 60)]
    assert all(sorted(o) == list(range(30)) for o in orders)
    assert orders[0] != orders[1] != orders[2]


def test_shuffled_slices_batch_in_the_same_order_as_unbatched_elements():
    ds = slices(23).shuffle(8, seed=5)
    flat = values(ds)
    batched = [x for b in values(slices(23).shuffle(8, seed=5).batch(4)) for x in b]
    assert batched == flat
    through_generator = values(generated(23).shuffle(8, seed=5))
    assert through_generator == flat


def test_shuffle_buffer_size_must_be_positive():
    with pytest.raises(ValueError, match="buffer_size"):
        Dataset.range(3).shuffle(0)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("count, expected", [
    (0, []), (1, [0, 1, 2]), (2, [0, 1, 2, 0, 1, 2])])
def test_repeat_count(source, count, expected):
    assert values(source(3).repeat(count)) == expected


@pytest.mark.parametrize("source", SOURCES)
def test_repeat_forever_with_take(source):
    assert values(source(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert values(source(3).repeat(-1).take(4)) == [0, 1, 2, 0]


def test_repeat_of_an_empty_dataset_ends():
    assert values(Dataset.range(0).repeat()) == []
    assert values(slices(0).repeat().batch(2)) == []


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("count, expected", [
    (0, []), (2, [0, 1]), (5, [0, 1, 2, 3, 4]), (9, [0, 1, 2, 3, 4]), (-1, [0, 1, 2, 3, 4])])
def test_take(source, count, expected):
    assert values(source(5).take(count)) == expected


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("count, expected", [
    (0, [0, 1, 2, 3, 4]), (2, [2, 3, 4]), (5, []), (9, []), (-1, [])])
def test_skip(source, count, expected):
    assert values(source(5).skip(count)) == expected


def test_take_and_skip_on_the_batched_fast_path():
    assert values(slices(10).skip(3).take(5).batch(2)) == [[3, 4], [5, 6], [7]]
    assert values(slices(4).repeat(3).skip(2).take(7).batch(3)) == [[2, 3, 0], [1, 2, 3],
                                                                       [0]]


@pytest.mark.parametrize("n", [0, 1, 23, 2100])
@pytest.mark.parametrize("buffer_size", [1, 2, 7, 1500, 5000])
def test_vectorized_index_shuffle_matches_the_element_shuffle(n, buffer_size):
    by_rows = values(slices(n).shuffle(buffer_size, seed=n + buffer_size).batch(n + 1))
    by_elements = values(generated(n).shuffle(buffer_size, seed=n + buffer_size))
    assert (by_rows[0] if by_rows else []) == by_elements
    assert sorted(by_elements) == list(range(n))
