"""GradientTape semantics, one behaviour per test."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff


def test_watch_tensor_gives_its_gradient():
    x = ff.constant([1.0, 2.0])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.reduce_sum(x * x)
    np.testing.assert_allclose(tape.gradient(y, x), [2.0, 4.0])


def test_unwatched_constant_gets_none():
    x = ff.constant(3.0)
    with ff.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_trainable_variables_are_watched_automatically():
    v = ff.Variable(3.0)
    frozen = ff.Variable(2.0, trainable=False)
    with ff.GradientTape() as tape:
        y = v * v * frozen
    dv, dfrozen = tape.gradient(y, [v, frozen])
    assert float(dv) == pytest.approx(12.0)
    assert dfrozen is None
    assert tape.watched_variables() == (v,)


def test_watch_accessed_variables_false_needs_explicit_watch():
    v, w = ff.Variable(1.0), ff.Variable(2.0)
    with ff.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = v * w
    dv, dw = tape.gradient(y, [v, w])
    assert dv is None and float(dw) == pytest.approx(1.0)


def test_non_persistent_tape_refuses_second_gradient():
    x = ff.constant(2.0)
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)


def test_persistent_tape_allows_several_gradients():
    x = ff.constant(2.0)
    with ff.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == pytest.approx(4.0)
    assert float(tape.gradient(z, x)) == pytest.approx(12.0)


def test_stop_recording_hides_ops():
    x = ff.constant(2.0)
    with ff.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x * x
        z = x * 3.0
    assert tape.gradient(y, x) is None
    assert float(tape.gradient(z, x)) == pytest.approx(3.0)


def test_reset_forgets_recorded_ops():
    x = ff.constant(2.0)
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        z = x * 5.0
    assert float(tape.gradient(z, x)) == pytest.approx(5.0)
    del y


def test_nested_sources_and_targets_keep_structure():
    a, b = ff.Variable(1.0), ff.Variable(2.0)
    with ff.GradientTape() as tape:
        out = {"p": a * b, "q": [a * a]}
    grads = tape.gradient(out, {"first": a, "second": [b]})
    assert float(grads["first"]) == pytest.approx(2.0 + 2.0)
    assert float(grads["second"][0]) == pytest.approx(1.0)


def test_non_scalar_target_is_summed():
    x = ff.constant([1.0, 2.0, 3.0])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x), [2.0, 4.0, 6.0])


def test_output_gradients_weight_the_target():
    x = ff.constant([1.0, 2.0])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    grad = tape.gradient(y, x, output_gradients=ff.constant([10.0, 0.5]))
    np.testing.assert_allclose(grad, [20.0, 2.0])


def test_unconnected_gradients_zero():
    x, unused = ff.Variable([1.0, 2.0]), ff.Variable([5.0])
    with ff.GradientTape() as tape:
        y = ff.reduce_sum(x)
    grad = tape.gradient(y, unused, unconnected_gradients=ff.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(grad, [0.0])


def test_nested_tapes_give_second_derivative():
    x = ff.constant(3.0)
    with ff.GradientTape() as outer:
        outer.watch(x)
        with ff.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert float(dy) == pytest.approx(27.0)
    assert float(d2y) == pytest.approx(18.0)


def test_jacobian_has_target_then_source_shape():
    x = ff.constant([1.0, 2.0, 3.0])
    w = ff.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.matmul(ff.reshape(x, [1, 3]), w)
    jac = tape.jacobian(y, x)
    assert tuple(jac.shape) == (1, 2, 3)
    np.testing.assert_allclose(jac.numpy()[0], w.numpy().T)


def test_batch_jacobian_is_per_example():
    x = ff.constant([[1.0, 2.0], [3.0, 4.0]])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    jac = tape.batch_jacobian(y, x)
    assert tuple(jac.shape) == (2, 2, 2)
    np.testing.assert_allclose(jac.numpy()[1], np.diag([6.0, 8.0]))


def test_custom_gradient_replaces_the_rule():
    @ff.custom_gradient
    def clipped_identity(x):
        def grad(dy):
            return dy * 0.5
        return ff.identity(x), grad

    x = ff.constant(4.0)
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = clipped_identity(x) * 3.0
    assert float(tape.gradient(y, x)) == pytest.approx(1.5)


def test_integer_source_gives_none_with_warning():
    x = ff.constant([1, 2])
    with ff.GradientTape() as tape:
        with pytest.warns(UserWarning):
            tape.watch(x)
        y = x * 2
    with pytest.warns(UserWarning, match="floating"):
        assert tape.gradient(y, x) is None


def test_variable_used_twice_accumulates():
    v = ff.Variable(2.0)
    with ff.GradientTape() as tape:
        y = v * 3.0 + v * v
    assert float(tape.gradient(y, v)) == pytest.approx(7.0)


def test_gradient_after_assignment_sees_both_reads():
    v = ff.Variable(1.0)
    with ff.GradientTape() as tape:
        a = v * 2.0
        v.assign(5.0)
        b = v * 3.0
        y = a + b
    assert float(tape.gradient(y, v)) == pytest.approx(5.0)


def test_only_the_gradients_asked_for_are_computed():
    from tests.helpers import record_ops

    x = ff.constant(np.ones((4, 3), np.float32))
    w = ff.Variable(np.ones((3, 2), np.float32))

    def step():
        with ff.GradientTape() as tape:
            y = ff.reduce_sum(ff.matmul(x, w))
        return tape.gradient(y, w)

    calls = record_ops(step)
    assert sum(opdef.name == "matmul" for opdef, *_ in calls) == 2  # forward + d/dw, no d/dx
    np.testing.assert_allclose(step().numpy(), np.full((3, 2), 4.0))
