from collections import namedtuple

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset

Point = namedtuple("Point", ["x", "y"])


def values(ds):
    return list(ds.as_numpy_iterator())


def test_from_tensor_slices_of_a_python_list_is_int32_scalars():
    ds = Dataset.from_tensor_slices([1, 2, 3])
    assert ds.element_spec == ff.TensorSpec((), ff.int32)
    assert values(ds) == [1, 2, 3]
    assert all(isinstance(t, ff.Tensor) for t in ds)


def test_from_tensor_slices_keeps_numpy_dtype_and_row_shape():
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    ds = Dataset.from_tensor_slices(x)
    assert ds.element_spec == ff.TensorSpec((3,), ff.float64)
    np.testing.assert_array_equal(np.stack(values(ds)), x)


def test_from_tensor_slices_of_a_tensor():
    ds = Dataset.from_tensor_slices(ff.constant([[1.0, 2.0], [3.0, 4.0]]))
    assert [v.tolist() for v in values(ds)] == [[1.0, 2.0], [3.0, 4.0]]


def test_from_tensor_slices_tuple_dict_and_nesting():
    ds = Dataset.from_tensor_slices(({"a": [1, 2], "b": [[1.0], [2.0]]}, np.array([5, 6])))
    first = next(iter(ds))
    assert isinstance(first, tuple) and set(first[0]) == {"a", "b"}
    assert values(ds)[1][0]["a"] == 2 and values(ds)[1][1] == 6
    assert ds.element_spec[0]["b"] == ff.TensorSpec((1,), ff.float32)


def test_from_tensor_slices_namedtuple_stays_namedtuple():
    ds = Dataset.from_tensor_slices(Point(np.arange(2), np.arange(2) * 10))
    element = next(iter(ds))
    assert isinstance(element, Point) and int(element.y) == 0
    assert values(ds)[1] == Point(1, 10)


def test_from_tensor_slices_list_of_lists_is_one_tensor():
    ds = Dataset.from_tensor_slices([[1, 2], [3, 4], [5, 6]])
    assert ds.element_spec == ff.TensorSpec((2,), ff.int32)
    assert len(ds) == 3


def test_from_tensor_slices_rejects_mismatched_leading_dims():
    with pytest.raises(ValueError, match="same size in dimension 0"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(2)))


def test_from_tensor_slices_rejects_scalars():
    with pytest.raises(ValueError, match="rank"):
        Dataset.from_tensor_slices(3)


def test_from_tensors_is_one_element():
    ds = Dataset.from_tensors(([1, 2, 3], "a"))
    assert len(ds) == 1
    (numbers, text), = values(ds)
    assert numbers.tolist() == [1, 2, 3] and text == b"a"  # TF holds text as bytes
    assert ds.element_spec == (ff.TensorSpec((3,), ff.int32), ff.TensorSpec((), ff.string))


@pytest.mark.parametrize("args, expected", [
    ((5,), [0, 1, 2, 3, 4]), ((2, 5), [2, 3, 4]), ((1, 10, 3), [1, 4, 7]),
    ((5, 0, -2), [5, 3, 1]), ((3, 3), []), ((0,), []),
])
def test_range_follows_python_range(args, expected):
    ds = Dataset.range(*args)
    assert values(ds) == expected
    assert len(ds) == len(expected)
    assert ds.element_spec.dtype == ff.int64


def test_range_output_type():
    ds = Dataset.range(3, output_type=ff.int32)
    assert next(iter(ds)).dtype == ff.int32


def test_from_generator_with_output_signature_converts_and_reruns():
    calls = []

    def gen():
        calls.append(1)
        for i in range(3):
            yield i, [float(i)] * 2

    sig = (ff.TensorSpec((), ff.int32), ff.TensorSpec((2,), ff.float32))
    ds = Dataset.from_generator(gen, output_signature=sig)
    assert ds.element_spec == sig
    first = values(ds)
    assert [int(a) for a, _ in first] == [0, 1, 2]
    assert first[2][1].dtype == np.float32
    assert len(values(ds)) == 3 and len(calls) == 2  # each iteration calls the generator again
    assert int(ds.cardinality()) == ff.data.UNKNOWN_CARDINALITY


def test_from_generator_with_args():
    ds = Dataset.from_generator(lambda n: iter(range(int(n))), output_signature=ff.TensorSpec(
        (), ff.int64), args=(4,))
    assert values(ds) == [0, 1, 2, 3]


def test_from_generator_output_types_and_shapes():
    ds = Dataset.from_generator(lambda: iter([([1, 2], 3)]), output_types=(ff.int32, ff.int64),
                                output_shapes=([2], []))
    assert ds.element_spec == (ff.TensorSpec((2,), ff.int32), ff.TensorSpec((), ff.int64))
    assert "shape=<unknown>" in repr(Dataset.from_generator(lambda: iter([1]), ff.int32))


def test_from_generator_unknown_dims_accept_any_size():
    ds = Dataset.from_generator(lambda: iter([[1], [1, 2, 3]]),
                                output_signature=ff.TensorSpec((None,), ff.int32))
    assert [len(v) for v in values(ds)] == [1, 3]


def test_from_generator_shape_mismatch_is_an_error_naming_shapes():
    ds = Dataset.from_generator(lambda: iter([[1, 2, 3]]),
                                output_signature=ff.TensorSpec((2,), ff.int32))
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"shape \[3\].*shape \[2\]"):
        values(ds)


def test_from_generator_structure_and_dtype_mismatch():
    sig = (ff.TensorSpec((), ff.int32), ff.TensorSpec((), ff.int32))
    with pytest.raises(TypeError, match="expected structure"):
        values(Dataset.from_generator(lambda: iter([1]), output_signature=sig))
    with pytest.raises(TypeError, match="could not be converted"):
        values(Dataset.from_generator(lambda: iter([1.5]),
                                      output_signature=ff.TensorSpec((), ff.int32)))


def test_from_generator_requires_a_signature():
    with pytest.raises(TypeError, match="output_signature"):
        Dataset.from_generator(lambda: iter([]))


def test_zip_tuple_dict_and_varargs():
    a, b = Dataset.range(3), Dataset.range(10, 15)
    assert values(Dataset.zip(a, b)) == [(0, 10), (1, 11), (2, 12)]
    assert values(Dataset.zip((a, b))) == values(Dataset.zip(a, b))
    zipped = Dataset.zip({"x": a, "y": (b, a)})
    assert values(zipped)[2] == {"x": 2, "y": (12, 2)}
    assert len(Dataset.zip(a, b)) == 3


def test_zip_rejects_non_datasets():
    with pytest.raises(TypeError, match="Datasets"):
        Dataset.zip((Dataset.range(2), [1, 2]))
