"""Matmul epilogues (bias, activation, elementwise consumers run inside the GEMM kernel) and
shape queries evaluated while planning."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.explain import explain
from fuseflow.compiler.matmul import MatmulKernel

RNG = np.random.default_rng(3)


def _arrays(*shapes, dtype=np.float32):
    return [RNG.standard_normal(s).astype(dtype) for s in shapes]


def _dense(x, w, b):
    return ff.nn.relu(ff.matmul(x, w) + b)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 17), (33, 20, 9), (130, 64, 70),
                                   (4, 0, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_epilogue_matches_numpy(m, k, n, dtype):
    x, w, b = _arrays((m, k), (k, n), (n,), dtype=dtype)
    got = ff.function(_dense)(x, w, b).numpy()
    want = np.maximum(x.astype(np.float64) @ w + b, 0)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5)


def test_dense_is_one_kernel_named_after_its_ops():
    report = explain(ff.function(_dense), *_arrays((8, 4), (4, 5), (5,)))
    names = [k.name for k in report.kernels]
    assert names == ["fused_matmul_add_relu"], names
    assert not any("matmul" in b.producer for b in report.boundaries)


def _plan_kernels(fn, *args):
    return explain(ff.function(fn), *args)


def test_transposed_operands_and_a_full_size_second_input():
    x, w, r = _arrays((7, 12), (9, 12), (7, 9))

    def f(x, w, r):
        return ff.tanh(ff.matmul(x, w, transpose_b=True) * 0.5 - r)

    got = ff.function(f)(x, w, r).numpy()
    np.testing.assert_allclose(got, np.tanh((x @ w.T) * 0.5 - r), rtol=1e-5, atol=1e-6)


def test_a_product_read_twice_is_stored_and_not_fused():
    x, w = _arrays((6, 4), (4, 5))

    def f(x, w):
        y = ff.matmul(x, w)
        return ff.nn.relu(y) + y * 2.0, y

    report = _plan_kernels(f, x, w)
    assert "matmul" in [k.name for k in report.kernels]
    got = ff.function(f)(x, w)
    np.testing.assert_allclose(got[1].numpy(), x @ w, rtol=1e-5)


def test_a_consumer_of_two_products_fuses_neither():
    x, w, v = _arrays((5, 3), (3, 4), (3, 4))

    def f(x, w, v):
        return ff.matmul(x, w) + ff.matmul(x, v)

    got = ff.function(f)(x, w, v).numpy()
    np.testing.assert_allclose(got, x @ w + x @ v, rtol=1e-5, atol=1e-6)


def test_a_batched_matmul_keeps_its_own_kernel():
    a, b, c = _arrays((2, 3, 4), (2, 4, 5), (5,))
    got = ff.function(lambda a, b, c: ff.matmul(a, b) + c)(a, b, c).numpy()
    np.testing.assert_allclose(got, a @ b + c, rtol=1e-5, atol=1e-6)


def test_epilogue_kernel_reads_its_extra_operands():
    from fuseflow.compiler.inspect import Compilation

    x, w, b = _arrays((4, 3), (3, 2), (2,))
    concrete = ff.function(_dense).get_concrete_function(x, w, b)
    plan = Compilation(concrete.graph, [s for s in concrete.input_specs]).plan
    kernel = next(s for s in plan.steps if isinstance(s, MatmulKernel))
    assert kernel.epilogue is not None
    assert len(kernel.read_slots()) == 3 and kernel.written_slots() == [kernel.out.slot]


def test_shape_queries_are_plan_constants():
    def f(x):
        n = ff.cast(ff.size(x), ff.float32)
        return ff.reduce_sum(x) / n, ff.shape(x)[0] * 2, ff.rank(x)

    x = _arrays((4, 3))[0]
    report = _plan_kernels(f, x)
    assert report.fallbacks == []
    total, rows, rank = ff.function(f)(x)
    np.testing.assert_allclose(total.numpy(), x.sum() / 12, rtol=1e-5)
    assert int(rows.numpy()) == 8 and int(rank.numpy()) == 2


def test_shape_constants_follow_a_new_input_shape():
    f = ff.function(lambda x: ff.shape(x)[0], reduce_retracing=True)
    assert int(f(np.ones((3, 2), np.float32)).numpy()) == 3
    assert int(f(np.ones((5, 2), np.float32)).numpy()) == 5


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("shape,axis", [((7,), 0), ((5, 10), 1), ((5, 10), 0), ((3, 4, 6), 1),
                                        ((300, 300), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
def test_arg_extrema_run_natively_and_match_numpy(op, shape, axis, dtype):
    x = (RNG.standard_normal(shape) * 50).astype(dtype)
    if dtype == np.float32 and x.size > 4:
        x.flat[3] = np.nan  # NumPy's rule: the first NaN is the extremum
    f = ff.function(lambda x: getattr(ff, op)(x, axis=axis, output_type=ff.int32))
    assert _plan_kernels(lambda x: getattr(ff, op)(x, axis=axis), x).fallbacks == []
    np.testing.assert_array_equal(f(x).numpy(), getattr(np, op)(x, axis=axis))
