"""Native reductions (rows, column tiles, chunked columns) agree with eager and a float64 sum."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.lowering.reduction import ReductionKernel
from fuseflow.compiler.threadpool import get_pool


def _kernels(compiled, x) -> list[ReductionKernel]:
    run = compiled.get_concrete_function(ff.constant(x)).executable()
    run([x])
    return [s for s in run._last.plan.steps if isinstance(s, ReductionKernel)]


def _reference(op: str, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    wide = x.astype(np.float64)
    return {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
            "prod": np.prod}[op](wide, axis=axes)


# (shape, axes): rows; columns split over A; columns over B tiles with a partial last tile;
# chunked columns with one and with several outer rows; chunks whose rows do not divide evenly.
SHAPES = [((6, 50), (1,)), ((40, 30, 5), (1,)), ((1, 30, 70), (1,)), ((2000, 37), (0,)),
          ((8, 30, 30, 8), (0, 1, 2)), ((3, 4099, 9), (1,)), ((1, 777, 130), (1,))]


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("shape,axes", SHAPES)
def test_compiled_reduction_matches_float64_reference(shape, axes, op):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    f = getattr(ff, f"reduce_{op}")
    compiled = ff.function(lambda t: f(t, axis=list(axes)), jit_compile=True)
    got = compiled(ff.constant(x)).numpy()
    want = _reference(op, x, axes)
    scale = _reference("sum", np.abs(x), axes) / (1 if op == "sum" else x.size // want.size)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.all(np.abs(got - want) <= 1e-6 * scale + 1e-30)
    np.testing.assert_allclose(got, f(ff.constant(x), axis=list(axes)).numpy(), rtol=1e-4,
                               atol=1e-5 * scale.max())
    assert len(_kernels(compiled, x)) == 1


def test_product_of_columns_matches_eager():
    x = (1 + 0.01 * np.random.default_rng(1).standard_normal((1, 600, 33))).astype(np.float64)
    compiled = ff.function(lambda t: ff.reduce_prod(t, axis=[1]), jit_compile=True)
    np.testing.assert_allclose(compiled(ff.constant(x)).numpy(), np.prod(x, axis=1), rtol=1e-12)


def test_long_columns_split_into_chunks_and_small_ones_do_not():
    big = np.zeros((1, 4096, 16), np.float32)
    small = np.zeros((1, 200, 16), np.float32)
    compiled = ff.function(lambda t: ff.reduce_sum(t, axis=[1]), jit_compile=True)
    [chunked], [single] = _kernels(compiled, big), _kernels(compiled, small)
    assert chunked.chunks > 1 and not chunked.parallel
    assert single.chunks == 1 and not single.parallel


def test_chunked_column_sums_are_the_same_bits_for_any_thread_count():
    x = np.random.default_rng(2).standard_normal((2, 9000, 24)).astype(np.float32) * 1e3
    compiled = ff.function(lambda t: ff.reduce_mean(t, axis=[1]), jit_compile=True)
    assert _kernels(compiled, x)[0].chunks > 1
    pool = get_pool(get_codegen())
    before = pool.threads
    try:
        results = []
        for threads in (1, 2, 3, 1):
            pool.set_threads(threads)
            results.append(compiled(ff.constant(x)).numpy())
    finally:
        pool.set_threads(before)
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("shape", [(1, 3000, 40), (5, 7, 40)])
def test_column_max_and_min_propagate_nan_and_infinities(op, shape):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    x[0, 5, 3], x[0, 1, 7], x[-1, 2, 39] = np.nan, np.inf, -np.inf
    f = getattr(ff, f"reduce_{op}")
    compiled = ff.function(lambda t: f(t, axis=[1]), jit_compile=True)
    np.testing.assert_array_equal(compiled(ff.constant(x)).numpy(),
                                  f(ff.constant(x), axis=[1]).numpy())


def test_sum_of_squares_and_moments_over_image_columns():
    x = np.random.default_rng(4).standard_normal((16, 20, 20, 32)).astype(np.float32) + 3

    def stats(t):
        mean, var = ff.nn.moments(t, axes=[0, 1, 2])
        return mean, var, ff.reduce_sum(t * t, axis=[0, 1, 2])

    compiled = ff.function(stats, jit_compile=True)
    t = ff.constant(x)
    wide = x.astype(np.float64)
    wants = (wide.mean(axis=(0, 1, 2)), wide.var(axis=(0, 1, 2)), (wide * wide).sum(axis=(0, 1, 2)))
    for got, want, eager in zip(compiled(t), wants, stats(t)):
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-5)
        np.testing.assert_allclose(got.numpy(), eager.numpy(), rtol=2e-5)
