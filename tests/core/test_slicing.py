"""`Tensor.__getitem__`, strided_slice, slice, gather: NumPy's answers, TF's errors."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff

X = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)

KEYS = [
    1, -1, (1, 2), (0, -1, -2), slice(None), slice(1, None), slice(None, None, -1),
    (slice(None), slice(0, 3, 2)), (Ellipsis, 1), (Ellipsis, None), (None, 0),
    (slice(None), None, slice(1, 2), Ellipsis), (0, Ellipsis, slice(-3, None)),
    (slice(None, None, -2), slice(-1, 0, -1)), (slice(5, 10),), (slice(-10, 1),),
    (1, slice(None), [3, 0, 3]), ([1, 0],), (Ellipsis, [2]), (slice(None), [[0, 2], [1, 1]]),
    (None, 1, [0, 2]),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_matches_numpy(key):
    got = ff.constant(X)[key]
    np.testing.assert_array_equal(got.numpy(), X[key])
    assert got.shape == X[key].shape


def test_getitem_with_tensor_indices():
    x = ff.constant(X)
    np.testing.assert_array_equal(x[ff.constant(1)].numpy(), X[1])
    np.testing.assert_array_equal(x[:, ff.constant([2, 0])].numpy(), X[:, [2, 0]])
    np.testing.assert_array_equal(x[ff.constant(1):].numpy(), X[1:])


def test_getitem_with_boolean_mask():
    x = ff.constant(X)
    mask = X[:, :, 0] > 4
    np.testing.assert_array_equal(x[ff.constant(mask)].numpy(), X[mask])
    np.testing.assert_array_equal(x[:, [True, False, True]].numpy(), X[:, [True, False, True]])


def test_getitem_on_variable():
    v = ff.Variable(X)
    np.testing.assert_array_equal(v[1, ::2].numpy(), X[1, ::2])


def test_getitem_gradient_scatters_back():
    x = ff.constant(X)
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.reduce_sum(x[1, ::2, [0, 0, 3]])
    want = np.zeros_like(X)
    for j in (0, 2):
        want[1, j, 0] += 2
        want[1, j, 3] += 1
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), want)


@pytest.mark.parametrize("key", [5, (0, 3), (0, 0, -5), (Ellipsis, Ellipsis)], ids=repr)
def test_out_of_range_index_raises(key):
    with pytest.raises((ff.errors.InvalidArgumentError, IndexError)):
        ff.constant(X)[key]


def test_too_many_indices_raises():
    with pytest.raises(ff.errors.InvalidArgumentError, match="strided_slice"):
        ff.constant(X)[0, 0, 0, 0]


def test_float_index_raises_type_error():
    with pytest.raises(TypeError, match="valid indices"):
        ff.constant(X)[1.5]


def test_strided_slice_masks_match_tf_semantics():
    x = ff.constant(X)
    # begin_mask on axis 0, end_mask on axis 2, new axis at 1, shrink axis 3.
    got = ff.strided_slice(x, [1, 0, 1, 2], [2, 0, 3, 3], [1, 1, 1, 1], begin_mask=1,
                           end_mask=0, new_axis_mask=2, shrink_axis_mask=8)
    np.testing.assert_array_equal(got.numpy(), X[:2, None, 1:3, 2])
    ellipsis = ff.strided_slice(x, [0, 1], [0, 3], [1, 1], ellipsis_mask=1)
    np.testing.assert_array_equal(ellipsis.numpy(), X[..., 1:3])


def test_slice_checks_bounds():
    x = ff.constant(X)
    np.testing.assert_array_equal(ff.slice(x, [1, 1, 0], [1, -1, 2]).numpy(), X[1:2, 1:, 0:2])
    with pytest.raises(ff.errors.InvalidArgumentError, match="slice"):
        ff.slice(x, [0, 2, 0], [1, 2, 1])


@pytest.mark.parametrize("indices", [[0, 3], [-1, 0]], ids=["too_large", "negative"])
def test_gather_out_of_range_raises_instead_of_wrapping(indices):
    with pytest.raises(ff.errors.InvalidArgumentError, match="gather") as info:
        ff.gather(ff.constant(X), indices, axis=1)
    assert "not in [0, 3)" in str(info.value)
    assert "test_slicing.py" in str(info.value)  # the user's line


def test_gather_nd_out_of_range_raises():
    with pytest.raises(ff.errors.InvalidArgumentError, match="gather_nd"):
        ff.gather_nd(ff.constant(X), [[0, 3]])


def test_segment_sum_rejects_out_of_range_ids():
    with pytest.raises(ff.errors.InvalidArgumentError, match="unsorted_segment_sum"):
        ff.math.unsorted_segment_sum(ff.constant([1.0, 2.0]), [0, 2], 2)


def test_gather_batch_dims_matches_per_batch_take():
    params = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    idx = np.array([[1, 3, 0], [2, 2, 1]], np.int32)
    got = ff.gather(params, idx, axis=2, batch_dims=1).numpy()
    want = np.stack([np.take(params[b], idx[b], axis=1) for b in range(2)])
    np.testing.assert_array_equal(got, want)


def test_one_hot_off_for_out_of_range_indices():
    got = ff.one_hot([1, 3, -1], 3, dtype=ff.int32).numpy()
    np.testing.assert_array_equal(got, [[0, 1, 0], [0, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("call, match", [
    (lambda x: ff.concat([x, ff.zeros([2, 2, 2])], 0), "concat"),
    (lambda x: ff.concat([x, ff.cast(x, ff.float64)], 0), "dtype"),
    (lambda x: ff.pad(x, [[0, 0], [3, 0], [0, 0]], "REFLECT"), "REFLECT"),
    (lambda x: ff.pad(x, [[0, 0], [0, 0]]), "paddings"),
    (lambda x: ff.split(x, 5, axis=2), "split"),
    (lambda x: ff.split(x, [1, 1], axis=1), "split"),
    (lambda x: ff.squeeze(x, 1), "squeeze"),
    (lambda x: ff.transpose(x, [0, 0, 1]), "transpose"),
    (lambda x: ff.expand_dims(x, 4), "expand_dims"),
    (lambda x: ff.reshape(x, [5, -1]), "reshape"),
    (lambda x: ff.tile(x, [1, 2]), "tile"),
    (lambda x: ff.boolean_mask(x, [True, False, True]), "boolean_mask"),
])
def test_bad_movement_arguments_raise(call, match):
    with pytest.raises(ff.errors.InvalidArgumentError, match=match):
        call(ff.constant(X))


def test_pad_symmetric_and_reflect_limits():
    x = ff.constant([[1.0, 2.0]])
    np.testing.assert_array_equal(ff.pad(x, [[0, 0], [2, 2]], "SYMMETRIC").numpy(),
                                  [[2, 1, 1, 2, 2, 1]])
    with pytest.raises(ff.errors.InvalidArgumentError):
        ff.pad(x, [[0, 0], [2, 0]], "REFLECT")
