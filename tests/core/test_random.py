"""fuseflow.random: TF's seed rules, shapes, dtypes, statistics, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core import context, random_state


@pytest.fixture(autouse=True)
def _no_global_seed():
    ff.random.set_seed(None)
    yield
    ff.random.set_seed(None)


DRAWS = {
    "uniform": lambda **kw: ff.random.uniform([3, 4], **kw),
    "uniform_int": lambda **kw: ff.random.uniform([5], 0, 100, ff.int64, **kw),
    "normal": lambda **kw: ff.random.normal([3, 4], **kw),
    "truncated_normal": lambda **kw: ff.random.truncated_normal([6], **kw),
    "categorical": lambda **kw: ff.random.categorical([[0.0, 1.0, 2.0]], 6, **kw),
    "shuffle": lambda **kw: ff.random.shuffle(ff.range(10), **kw),
}


@pytest.mark.parametrize("draw", DRAWS.values(), ids=DRAWS)
def test_global_seed_makes_the_program_repeat(draw):
    ff.random.set_seed(7)
    first = [draw().numpy() for _ in range(2)]
    ff.random.set_seed(7)
    again = [draw().numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])


@pytest.mark.parametrize("draw", DRAWS.values(), ids=DRAWS)
def test_two_calls_draw_different_numbers(draw):
    ff.random.set_seed(3)
    assert not np.array_equal(draw().numpy(), draw().numpy())


@pytest.mark.parametrize("draw", DRAWS.values(), ids=DRAWS)
def test_op_seed_without_global_seed_is_deterministic(draw):
    first = draw(seed=11).numpy()
    ff.random.set_seed(None)  # forget the generators: the op seed alone fixes the stream
    np.testing.assert_array_equal(draw(seed=11).numpy(), first)


def test_op_seed_calls_continue_the_stream():
    a, b = ff.random.normal([4], seed=2), ff.random.normal([4], seed=2)
    assert not np.array_equal(a.numpy(), b.numpy())


def test_different_global_seeds_give_different_numbers():
    ff.random.set_seed(1)
    a = ff.random.uniform([8]).numpy()
    ff.random.set_seed(2)
    assert not np.array_equal(a, ff.random.uniform([8]).numpy())


def test_unseeded_draws_differ():
    assert not np.array_equal(ff.random.uniform([8]).numpy(), ff.random.uniform([8]).numpy())


class _Tracing(context.EagerContext):
    """An eager context that says it is tracing: random ops then take per-node op seeds."""

    executing_eagerly = False


def test_traced_random_nodes_get_distinct_seeds_and_draw_fresh_numbers():
    ff.random.set_seed(5)
    recorded = []

    class Recorder(_Tracing):
        def execute(self, opdef, inputs, attrs, name):
            recorded.append((opdef, attrs))
            return super().execute(opdef, inputs, attrs, name)

    with context.pushed(Recorder()):
        ff.random.normal([3])
        ff.random.normal([3])
    (op1, attrs1), (op2, attrs2) = recorded
    assert attrs1["seed"] != attrs2["seed"]
    # Running one node twice (as the graph interpreter does) draws new numbers each time.
    assert not np.array_equal(op1.impl(**attrs1), op1.impl(**attrs1))


@pytest.mark.parametrize("dtype", [ff.float16, ff.float32, ff.float64])
def test_float_dtypes_and_shapes(dtype):
    for x in (ff.random.uniform((2, 3), dtype=dtype), ff.random.normal([2, 3], dtype=dtype),
              ff.random.truncated_normal([2, 3], dtype=dtype)):
        assert x.dtype == dtype and x.shape == (2, 3)


def test_uniform_respects_bounds():
    x = ff.random.uniform([1000], minval=-3.0, maxval=-1.0).numpy()
    assert x.min() >= -3.0 and x.max() < -1.0
    ints = ff.random.uniform([1000], minval=2, maxval=5, dtype=ff.int32).numpy()
    assert ints.dtype == np.int32 and set(ints.tolist()) == {2, 3, 4}


def test_uniform_accepts_tensor_bounds():
    x = ff.random.uniform([500], ff.constant(1.0), ff.constant(2.0)).numpy()
    assert 1.0 <= x.min() and x.max() < 2.0


def test_truncated_normal_stays_within_two_stddevs():
    x = ff.random.truncated_normal([5000], mean=1.0, stddev=2.0, seed=1).numpy()
    assert np.abs(x - 1.0).max() <= 4.0
    assert abs(x.mean() - 1.0) < 0.1


def test_categorical_never_draws_impossible_classes():
    logits = ff.constant([[0.0, -np.inf, 0.0], [-np.inf, -np.inf, 0.0]])
    samples = ff.random.categorical(logits, 200, seed=3).numpy()
    assert samples.dtype == np.int64 and samples.shape == (2, 200)
    assert 1 not in samples[0] and set(samples[1].tolist()) == {2}


def test_shuffle_permutes_rows():
    x = ff.reshape(ff.range(12), [6, 2])
    shuffled = ff.random.shuffle(x, seed=4).numpy()
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, x.numpy()))


def test_uniform_int_without_maxval_raises():
    with pytest.raises(ValueError, match="maxval"):
        ff.random.uniform([2], dtype=ff.int32)


@pytest.mark.parametrize("call", [
    lambda: ff.random.uniform([2], 5, 5, dtype=ff.int32),
    lambda: ff.random.normal([-1]),
    lambda: ff.random.normal([2], dtype=ff.int32),
    lambda: ff.random.categorical([1.0, 2.0], 3),
    lambda: ff.random.shuffle(1.0),
])
def test_bad_arguments_raise_invalid_argument(call):
    with pytest.raises(ff.errors.InvalidArgumentError):
        call()


def test_random_ops_are_stateful():
    for name in ("random_uniform", "random_normal", "truncated_normal", "categorical",
                 "random_shuffle"):
        opdef = ff.core.registry.REGISTRY[name]
        assert not opdef.pure and not opdef.foldable and not opdef.differentiable


def test_set_seed_restarts_the_op_counter():
    ff.random.set_seed(9)
    with context.pushed(_Tracing()):
        first = random_state.op_seeds()
    ff.random.set_seed(9)
    with context.pushed(_Tracing()):
        assert random_state.op_seeds() == first
