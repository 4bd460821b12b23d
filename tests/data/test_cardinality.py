import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import INFINITE_CARDINALITY as INF
from fuseflow.data import UNKNOWN_CARDINALITY as UNK
from fuseflow.data import Dataset

GEN = lambda: Dataset.from_generator(lambda: iter([1]),  # noqa: E731
                                     output_signature=ff.TensorSpec((), ff.int32))

CASES = [
    ("slices", lambda: Dataset.from_tensor_slices(np.zeros((7, 2))), 7),
    ("tensors", lambda: Dataset.from_tensors([1, 2]), 1),
    ("range", lambda: Dataset.range(2, 11, 3), 3),
    ("generator", GEN, UNK),
    ("map", lambda: Dataset.range(5).map(lambda x: x), 5),
    ("filter", lambda: Dataset.range(5).filter(lambda x: True), UNK),
    ("repeat_forever", lambda: Dataset.range(5).repeat(), INF),
    ("repeat_empty_forever", lambda: Dataset.range(0).repeat(), 0),
    ("repeat_unknown_forever", lambda: GEN().repeat(), INF),
    ("repeat_unknown_twice", lambda: GEN().repeat(2), UNK),
    ("repeat_3", lambda: Dataset.range(5).repeat(3), 15),
    ("take_infinite", lambda: Dataset.range(5).repeat().take(4), 4),
    ("take_more", lambda: Dataset.range(5).take(9), 5),
    ("take_all", lambda: Dataset.range(5).take(-1), 5),
    ("take_unknown", lambda: GEN().take(3), UNK),
    ("skip", lambda: Dataset.range(5).skip(2), 3),
    ("skip_more", lambda: Dataset.range(5).skip(9), 0),
    ("skip_all", lambda: Dataset.range(5).skip(-1), 0),
    ("skip_infinite", lambda: Dataset.range(5).repeat().skip(3), INF),
    ("batch", lambda: Dataset.range(5).batch(2), 3),
    ("batch_drop", lambda: Dataset.range(5).batch(2, drop_remainder=True), 2),
    ("batch_infinite", lambda: Dataset.range(5).repeat().batch(2), INF),
    ("zip_min", lambda: Dataset.zip(Dataset.range(3), Dataset.range(5)), 3),
    ("zip_with_infinite", lambda: Dataset.zip(Dataset.range(3), Dataset.range(2).repeat()), 3),
    ("zip_unknown", lambda: Dataset.zip(Dataset.range(3), GEN()), UNK),
    ("concat", lambda: Dataset.range(3).concatenate(Dataset.range(4)), 7),
    ("concat_unknown", lambda: Dataset.range(3).concatenate(GEN().map(
        lambda x: ff.cast(x, ff.int64))), UNK),
    ("shuffle_prefetch_cache", lambda: Dataset.range(6).shuffle(2).prefetch(1).cache(), 6),
    ("enumerate", lambda: Dataset.range(4).enumerate(), 4),
    ("flat_map", lambda: Dataset.range(4).flat_map(lambda x: Dataset.range(2)), UNK),
    ("text", lambda: ff.data.TextLineDataset([]), UNK),
]


@pytest.mark.parametrize("make, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cardinality_rules(make, expected):
    ds = make()
    assert int(ds.cardinality()) == expected
    assert int(ff.data.experimental.cardinality(ds)) == expected
    if expected >= 0:
        assert len(ds) == expected
        if expected < 50:
            assert len(list(ds)) == expected


def test_len_of_infinite_and_unknown_datasets_is_a_type_error():
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(2).repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(Dataset.range(2).filter(lambda x: True))
    assert bool(Dataset.range(0))


def test_constants_match_tensorflow():
    assert ff.data.AUTOTUNE == ff.data.experimental.AUTOTUNE == -1
    assert ff.data.INFINITE_CARDINALITY == -1 and ff.data.UNKNOWN_CARDINALITY == -2
    assert ff.data.experimental.INFINITE_CARDINALITY == -1


@pytest.mark.parametrize("ds, text", [
    (lambda: Dataset.from_tensor_slices([1, 2, 3]),
     "<_TensorSliceDataset element_spec=TensorSpec(shape=(), dtype=tf.int32, name=None)>"),
    (lambda: Dataset.range(3),
     "<_RangeDataset element_spec=TensorSpec(shape=(), dtype=tf.int64, name=None)>"),
    (lambda: Dataset.from_tensor_slices(np.zeros((4, 3), np.float32)).batch(2),
     "<_BatchDataset element_spec=TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)>"),
    (lambda: Dataset.from_tensor_slices(({"a": [1]}, [2.0])).shuffle(2).repeat(),
     "<_RepeatDataset element_spec=({'a': TensorSpec(shape=(), dtype=tf.int32, name=None)}, "
     "TensorSpec(shape=(), dtype=tf.float32, name=None))>"),
    (lambda: Dataset.from_tensors(([1],)).take(1),
     "<_TakeDataset element_spec=(TensorSpec(shape=(1,), dtype=tf.int32, name=None),)>"),
    (lambda: ff.data.TextLineDataset([]),
     "<TextLineDatasetV2 element_spec=TensorSpec(shape=(), dtype=tf.string, name=None)>"),
])
def test_repr_in_tensorflow_form(ds, text):
    assert repr(ds()) == text
    assert str(ds()) == text
