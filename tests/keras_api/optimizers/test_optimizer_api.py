"""Optimizer behaviour beyond the update rules: clipping, weight decay, schedules, slots inside a
trace, minimize, lookups and configs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import optimizers
from fuseflow.keras_api.optimizers import schedules

G = np.array([3.0, 4.0], np.float32)  # norm 5


def _step(optimizer, grads=(G,), start=(1.0, 1.0)):
    variables = [ff.Variable(np.array(start, np.float32)) for _ in grads]
    optimizer.apply_gradients(zip([ff.constant(g) for g in grads], variables))
    return [v.numpy() for v in variables]


def test_clipnorm_scales_each_gradient():
    (w,) = _step(optimizers.SGD(1.0, clipnorm=1.0))
    np.testing.assert_allclose(w, 1.0 - G / 5.0, rtol=1e-6)
    (w,) = _step(optimizers.SGD(1.0, clipnorm=10.0))
    np.testing.assert_allclose(w, 1.0 - G, rtol=1e-6)


def test_global_clipnorm_uses_the_joint_norm():
    w1, w2 = _step(optimizers.SGD(1.0, global_clipnorm=5.0), grads=(G, G))
    joint = math.sqrt(50.0)
    np.testing.assert_allclose(w1, 1.0 - G * 5.0 / joint, rtol=1e-6)
    np.testing.assert_allclose(w2, w1)


def test_clipvalue():
    (w,) = _step(optimizers.SGD(1.0, clipvalue=3.5))
    np.testing.assert_allclose(w, [1.0 - 3.0, 1.0 - 3.5], rtol=1e-6)


def test_clipnorm_and_global_clipnorm_are_exclusive():
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_weight_decay_is_applied_before_the_update():
    (w,) = _step(optimizers.SGD(0.1, weight_decay=0.5))
    np.testing.assert_allclose(w, (1.0 - 1.0 * 0.5 * 0.1) - 0.1 * G, rtol=1e-6)


def test_exclude_from_weight_decay():
    optimizer = optimizers.AdamW(0.1, weight_decay=0.5)
    kept, excluded = ff.Variable([1.0], name="kernel"), ff.Variable([1.0], name="bias")
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply_gradients([(ff.constant([0.0]), kept), (ff.constant([0.0]), excluded)])
    assert kept.numpy()[0] == pytest.approx(0.95)
    assert excluded.numpy()[0] == 1.0


SCHEDULES = [
    (schedules.ExponentialDecay(0.1, 10, 0.5), lambda s: 0.1 * 0.5 ** (s / 10)),
    (schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** math.floor(s / 10)),
    (schedules.InverseTimeDecay(0.1, 10, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 10)),
    (schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 / (1 + 0.5 * math.floor(s / 10))),
    (schedules.PiecewiseConstantDecay([5, 15], [1.0, 0.5, 0.1]),
     lambda s: 1.0 if s <= 5 else 0.5 if s <= 15 else 0.1),
    (schedules.CosineDecay(0.1, 20, alpha=0.1),
     lambda s: 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20)) + 0.1)),
    (schedules.CosineDecay(0.0, 20, warmup_target=0.2, warmup_steps=10),
     lambda s: 0.2 * s / 10 if s < 10 else
     0.2 * 0.5 * (1 + math.cos(math.pi * min(s - 10, 20) / 20))),
]


@pytest.mark.parametrize("schedule,formula", SCHEDULES,
                         ids=[f"{type(s).__name__}{i}" for i, (s, _) in enumerate(SCHEDULES)])
def test_schedule_values(schedule, formula):
    for step in (0, 1, 5, 6, 10, 14, 15, 16, 25, 40):
        assert float(schedule(step)) == pytest.approx(formula(step), rel=1e-5, abs=1e-7), step
    again = schedules.deserialize(schedules.serialize(schedule))
    assert again.get_config() == schedule.get_config()


def test_optimizer_reads_schedule_at_its_iteration():
    schedule = schedules.PiecewiseConstantDecay([1], [1.0, 0.1])
    optimizer = optimizers.SGD(schedule)
    variable = ff.Variable([0.0])
    for _ in range(3):
        optimizer.apply_gradients([(ff.constant([1.0]), variable)])
    # steps 0 and 1 use 1.0, step 2 uses 0.1
    assert variable.numpy()[0] == pytest.approx(-2.1)
    assert float(optimizer.learning_rate) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.5


def test_learning_rate_is_a_settable_variable_and_iterations_int64():
    optimizer = optimizers.Adam(0.01)
    assert isinstance(optimizer.learning_rate, ff.Variable)
    optimizer.learning_rate = 0.5
    assert float(optimizer.lr.numpy()) == 0.5
    assert optimizer.iterations.dtype == ff.int64
    assert optimizers.SGD(lr=0.3).get_config()["learning_rate"] == pytest.approx(0.3)


def test_slots_are_created_on_first_apply_and_listed_in_variables():
    optimizer = optimizers.Adam(amsgrad=True)
    assert len(optimizer.variables) == 2  # iterations, learning rate
    _step(optimizer)
    assert len(optimizer.variables) == 5
    weights = optimizer.get_weights()
    optimizer.set_weights([w * 0 for w in weights])
    assert int(optimizer.iterations.numpy()) == 0


@pytest.mark.parametrize("jit_compile", [False, True])
def test_apply_gradients_inside_a_traced_step_matches_eager(jit_compile):
    def run(traced):
        variable = ff.Variable(np.ones(3, np.float32))
        optimizer = optimizers.Adam(0.1, clipnorm=1.0)

        def step(g):
            optimizer.apply_gradients([(g, variable)])
            return optimizer.iterations + 0

        if traced:
            step = ff.function(step, jit_compile=jit_compile)
        for i in range(3):
            step(ff.constant(np.arange(3, dtype=np.float32) * (i + 1)))
        return variable.numpy(), int(optimizer.iterations.numpy())

    (eager, n_eager), (traced, n_traced) = run(False), run(True)
    assert n_eager == n_traced == 3
    np.testing.assert_allclose(traced, eager, rtol=1e-6)


def test_minimize_with_tape_and_with_callable():
    w = ff.Variable([2.0])
    optimizer = optimizers.SGD(0.25)
    with ff.GradientTape() as tape:
        loss = w * w
    optimizer.minimize(loss, [w], tape=tape)
    assert w.numpy()[0] == pytest.approx(1.0)
    optimizer.minimize(lambda: w * w, [w])
    assert w.numpy()[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="tape"):
        optimizer.minimize(ff.constant(1.0), [w])


def test_none_gradients_are_skipped_with_a_warning():
    a, b = ff.Variable([1.0]), ff.Variable([1.0])
    optimizer = optimizers.SGD(1.0)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply_gradients([(ff.constant([1.0]), a), (None, b)])
    assert a.numpy()[0] == 0.0 and b.numpy()[0] == 1.0
    with pytest.raises(ValueError, match="No gradients provided"):
        optimizer.apply_gradients([(None, b)])


def test_string_lookup_config_round_trip_and_errors():
    for name, cls in [("adam", optimizers.Adam), ("SGD", optimizers.SGD),
                      ("rmsprop", optimizers.RMSprop), ("adamw", optimizers.AdamW),
                      ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
                      ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam),
                      ("ftrl", optimizers.Ftrl)]:
        assert type(optimizers.get(name)) is cls
    optimizer = optimizers.RMSprop(0.01, momentum=0.5, centered=True, clipvalue=1.0)
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert again.get_config() == optimizer.get_config()
    scheduled = optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.9))
    again = optimizers.deserialize(optimizers.serialize(scheduled))
    assert isinstance(again._learning_rate, schedules.ExponentialDecay)
    with pytest.raises(ValueError, match="'adamm'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=2.0)
