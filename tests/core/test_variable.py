"""Variable updates: values read before an update never change; sole-owner updates reuse the
variable's array."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff


def test_a_tensor_read_before_an_update_keeps_its_value():
    v = ff.Variable([1.0, 2.0])
    before = v.read_value()
    v.assign_sub([1.0, 1.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 1.0])


def test_a_numpy_result_and_a_view_keep_their_values():
    v = ff.Variable(np.arange(4, dtype=np.float32))
    array, view = v.numpy(), v[1:3]
    v.assign_add(np.ones(4, np.float32))
    np.testing.assert_array_equal(array, [0, 1, 2, 3])
    np.testing.assert_array_equal(view.numpy(), [1, 2])


def test_an_update_nobody_can_observe_reuses_the_array():
    v = ff.Variable(np.ones((3, 3), np.float32))
    with ff.GradientTape() as tape:
        loss = ff.reduce_sum(v * 2.0)
    grad = tape.gradient(loss, v)
    storage = id(v._value)
    v.assign_sub(0.5 * grad)
    assert id(v._value) == storage
    np.testing.assert_array_equal(v.numpy(), np.zeros((3, 3), np.float32))


def test_an_update_of_another_shape_is_refused_as_in_tf():
    v = ff.Variable(np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="Shape mismatch"):
        v.assign_add(ff.constant([1.0, 2.0]))
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
