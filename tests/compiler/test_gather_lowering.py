"""gather and gather_grad lowered as native kernels agree with eager, bad indices included."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import explain
from fuseflow.compiler.lowering.gather import GatherKernel
from fuseflow.core.errors import InvalidArgumentError


def _gather_kernels(fn, *args) -> list[GatherKernel]:
    run = fn.get_concrete_function(*args).executable()
    run([a.numpy() for a in args])
    return [s for s in run._last.plan.steps if isinstance(s, GatherKernel)]


PARAMS = (4, 5, 6)
SWEEP = [  # (axis, batch_dims, indices shape)
    (0, 0, (3,)), (0, 0, (2, 3)), (0, 0, ()), (0, 0, (0,)), (1, 0, (7,)), (1, 0, (2, 2)),
    (2, 0, (5,)), (2, 0, ()), (2, 0, (0, 3)), (1, 1, (4, 3)), (2, 1, (4, 2, 2)), (2, 2, (4, 5, 3)),
]


@pytest.mark.parametrize("axis,batch_dims,index_shape", SWEEP)
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_compiled_gather_matches_eager(axis, batch_dims, index_shape, dtype, index_dtype):
    rng = np.random.default_rng(0)
    params = ff.constant((rng.standard_normal(PARAMS) * 10).astype(dtype))
    indices = ff.constant(rng.integers(0, PARAMS[axis], index_shape).astype(index_dtype))

    def fn(p, i):
        return ff.gather(p, i, axis=axis, batch_dims=batch_dims)

    compiled = ff.function(fn, jit_compile=True)
    got, want = compiled(params, indices).numpy(), fn(params, indices).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert "gather" not in [f.op for f in explain(compiled, params, indices).fallbacks]
    assert len(_gather_kernels(compiled, params, indices)) == 1


def test_large_gather_splits_across_threads_and_matches_eager():
    rng = np.random.default_rng(1)
    table = ff.constant(rng.standard_normal((500, 64)).astype(np.float32))
    ids = ff.constant(rng.integers(0, 500, (40, 30)).astype(np.int32))
    compiled = ff.function(ff.gather, jit_compile=True)
    np.testing.assert_array_equal(compiled(table, ids).numpy(), ff.gather(table, ids).numpy())
    (kernel,) = _gather_kernels(compiled, table, ids)
    assert kernel.parallel


def test_gather_of_bool_params():
    params = ff.constant(np.array([[True, False], [False, False], [True, True]]))
    indices = ff.constant(np.array([2, 0, 2], np.int64))
    compiled = ff.function(lambda p, i: ff.gather(p, i, axis=0), jit_compile=True)
    np.testing.assert_array_equal(compiled(params, indices).numpy(),
                                  ff.gather(params, indices).numpy())


def _eager_error(fn, *args) -> str:
    with pytest.raises(InvalidArgumentError) as info:
        fn(*args)
    return info.value.message


@pytest.mark.parametrize("bad", [4, -1, 2**31 - 1, -(2**31)])
@pytest.mark.parametrize("big", [False, True])
def test_out_of_range_index_raises_eagers_error_then_good_calls_work(bad, big):
    rows = 4
    params = ff.constant(np.arange(rows * (300 if big else 3), dtype=np.float32)
                         .reshape(rows, -1))
    good = np.array([0, 3, 1] * (100 if big else 1), np.int32)
    wrong = good.copy()
    wrong[-2] = bad
    compiled = ff.function(lambda p, i: ff.gather(p, i) * 2.0, jit_compile=True)
    compiled(params, ff.constant(good))
    message = _eager_error(ff.gather, params, ff.constant(wrong))
    assert "not in [0, 4)" in message
    with pytest.raises(InvalidArgumentError, match=r"gather: .*not in \[0, 4\)") as info:
        compiled(params, ff.constant(wrong))
    assert info.value.message == message and __file__ in info.value.source
    got = compiled(params, ff.constant(good)).numpy()
    np.testing.assert_array_equal(got, ff.gather(params, ff.constant(good)).numpy() * 2.0)


def test_error_after_a_fallback_and_after_folded_steps_names_the_gather():
    state = ff.Variable(np.zeros(3, np.float32))

    @ff.function(jit_compile=True)
    def step(p, i):
        state.assign(p[0] * 2.0)  # folded into the write: the plan loses a step before gather
        shifted = ff.math.cumsum(i) - i  # NumPy runs cumsum: gather lands in a later segment
        return ff.gather(p, shifted + i)

    params = ff.constant(np.ones((4, 3), np.float32))
    step(params, ff.constant(np.array([0, 3], np.int32)))
    with pytest.raises(InvalidArgumentError, match=r"gather: indices contain 5, which is not"):
        step(params, ff.constant(np.array([0, 5], np.int32)))


def test_index_into_an_empty_axis_is_an_error():
    params = ff.constant(np.zeros((0, 3), np.float32))
    compiled = ff.function(ff.gather, jit_compile=True)
    with pytest.raises(InvalidArgumentError, match=r"not in \[0, 0\)"):
        compiled(params, ff.constant(np.array([0], np.int32)))


def gather_and_grad(params, indices, axis):
    with ff.GradientTape() as tape:
        tape.watch(params)
        y = ff.gather(params, indices, axis=axis)
        loss = ff.reduce_sum(y * ff.cast(ff.range(y.shape[-1]) + 1, y.dtype))
    return y, tape.gradient(loss, params)


@pytest.mark.parametrize("axis,index_shape", [(0, (6,)), (1, (2, 3)), (2, ()), (0, (0,))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_gather_grad_adds_repeated_rows_like_eager(axis,
                                                             index_shape, dtype):
    rng = np.random.default_rng(2)
    params = ff.constant(rng.standard_normal(PARAMS).astype(dtype))
    indices = ff.constant(rng.integers(0, 2, index_shape).astype(np.int32))  # many repeats
    compiled = ff.function(lambda p, i: gather_and_grad(p, i, axis), jit_compile=True)
    for got, want in zip(compiled(params, indices), gather_and_grad(params, indices, axis)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    report = explain(compiled, params, indices)
    assert not {"gather", "gather_grad"} & {f.op for f in report.fallbacks}
    kernels = _gather_kernels(compiled, params, indices)
    assert sorted(k.like is None for k in kernels) == [False, True]


def test_gather_grad_index_out_of_range_is_an_error():
    from fuseflow.core.ops.gather import gather_grad

    g = ff.constant(np.ones((2, 3), np.float32))
    like = ff.constant(np.zeros((4, 3), np.float32))

    def fn(g, i, like):
        return gather_grad(g, i, like, axis=0, batch_dims=0)

    compiled = ff.function(fn, jit_compile=True)
    np.testing.assert_array_equal(compiled(g, ff.constant(np.array([1, 1], np.int32)), like)
                                  .numpy()[1], [2.0, 2.0, 2.0])
    wrong = ff.constant(np.array([1, 9], np.int32))
    message = _eager_error(fn, g, wrong, like)
    with pytest.raises(InvalidArgumentError, match="gather_grad") as info:
        compiled(g, wrong, like)
    assert info.value.message == message
    with pytest.raises(InvalidArgumentError, match=r"gather_grad: indices contain -1, which"):
        compiled(g, ff.constant(np.array([-1, 0], np.int32)), like)  # eager would wrap around


def _embedding_model(seed: int):
    ff.keras.utils.set_random_seed(seed)
    model = ff.keras.Sequential([ff.keras.Input((5,), dtype="int32"),
                                 ff.keras.layers.Embedding(30, 8),
                                 ff.keras.layers.Flatten(), ff.keras.layers.Dense(2)])
    model.compile(optimizer=ff.keras.optimizers.SGD(0.1),
                  loss=ff.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_embedding_trains_compiled_like_eager_without_gather_fallback():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, (16, 5)).astype(np.int32)
    y = rng.integers(0, 2, 16).astype(np.int32)
    eager, compiled = _embedding_model(4), _embedding_model(4)
    eager.compile(optimizer=ff.keras.optimizers.SGD(0.1), run_eagerly=True,
                  loss=ff.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    want = eager.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False).history["loss"]
    got = compiled.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert got[-1] < got[0]
    step = compiled.make_train_function()
    report = explain(step, (ff.constant(x[:8]), ff.constant(y[:8])))
    assert not {"gather", "gather_grad"} & {f.op for f in report.fallbacks}
