"""The native GEMM kernel: odd shapes, every transpose, batches, float64, block edges and
epilogues applied per tile, all against a float64 NumPy product."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.explain import explain
from fuseflow.compiler.gemm import KC, MC, NC, tile_shape

RNG = np.random.default_rng(11)
TOL = {np.float32: 2e-5, np.float64: 1e-12}


def _operands(m, n, k, transpose_a, transpose_b, dtype=np.float32, batch=()):
    a = RNG.standard_normal((*batch, *((k, m) if transpose_a else (m, k)))).astype(dtype)
    b = RNG.standard_normal((*batch, *((n, k) if transpose_b else (k, n)))).astype(dtype)
    return a, b


def _reference(a, b, transpose_a, transpose_b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (np.swapaxes(a, -1, -2) if transpose_a else a) @ (
        np.swapaxes(b, -1, -2) if transpose_b else b)


def _check(got, want, dtype, k):
    scale = max(1.0, np.sqrt(k))  # rounding grows with the length of each dot product
    np.testing.assert_allclose(got, want, rtol=TOL[dtype] * scale, atol=TOL[dtype] * scale)


def _matmul(transpose_a, transpose_b):
    return ff.function(lambda x, y: ff.matmul(x, y, transpose_a=transpose_a,
                                              transpose_b=transpose_b), jit_compile=True)


SHAPES = [(1, 1, 1), (3, 17, 1), (17, 3, 65), (65, 1, 17), (1, 65, 257), (257, 17, 3),
          (17, 257, 65), (65, 65, 257)]


@pytest.mark.parametrize("m,n,k", SHAPES)
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_odd_shapes_in_every_transpose_match_numpy(m, n, k, transpose_a, transpose_b):
    a, b = _operands(m, n, k, transpose_a, transpose_b)
    got = _matmul(transpose_a, transpose_b)(a, b).numpy()
    _check(got, _reference(a, b, transpose_a, transpose_b), np.float32, k)


@pytest.mark.parametrize("m,n,k", [(3, 17, 65), (65, 10, 17), (13, 33, 9)])
@pytest.mark.parametrize("transpose_a,transpose_b", [(False, False), (True, False),
                                                     (False, True), (True, True)])
def test_float64_matches_numpy(m, n, k, transpose_a, transpose_b):
    a, b = _operands(m, n, k, transpose_a, transpose_b, np.float64)
    got = _matmul(transpose_a, transpose_b)(a, b).numpy()
    assert got.dtype == np.float64
    _check(got, _reference(a, b, transpose_a, transpose_b), np.float64, k)


def test_blocks_past_every_cache_block_size():
    """M past MC, K past KC (the product accumulates over K blocks), N past NC."""
    m, n, k = MC + 7, NC + 19, KC + 9
    a, b = _operands(m, n, k, False, False)
    got = _matmul(False, False)(a, b).numpy()
    _check(got, _reference(a, b, False, False), np.float32, k)


@pytest.mark.parametrize("transpose_a,transpose_b", [(False, False), (True, True)])
@pytest.mark.parametrize("shared", ["none", "a", "b"])
def test_batched_products_with_a_shared_operand(transpose_a, transpose_b, shared):
    a, b = _operands(17, 10, 9, transpose_a, transpose_b, batch=(3,))
    a = a[0] if shared == "a" else a
    b = b[0] if shared == "b" else b
    got = _matmul(transpose_a, transpose_b)(a, b).numpy()
    assert got.shape == (3, 17, 10)
    _check(got, _reference(a, b, transpose_a, transpose_b), np.float32, 9)


def _dense(x, w, bias):
    return ff.nn.relu(ff.matmul(x, w) + bias)


@pytest.mark.parametrize("m,n,k", [(128, 10, 256), (MC + 5, 33, KC + 3), (7, 17, 1), (5, 3, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_epilogue_is_applied_once_per_element(m, n, k, dtype):
    """Past KC the product takes several K blocks: the epilogue runs after the last only."""
    x, w = _operands(m, n, k, False, False, dtype)
    bias = RNG.standard_normal(n).astype(dtype)
    fn = ff.function(_dense, jit_compile=True)
    got = fn(x, w, bias).numpy()
    want = np.maximum(_reference(x, w, False, False) + bias, 0)
    _check(got, want, dtype, k)
    assert [kernel.name for kernel in explain(fn, x, w, bias).kernels] == [
        "fused_matmul_add_relu"]


@pytest.mark.parametrize("m,n,k", [(128, 256, 10), (19, 40, 23)])
def test_transposed_gradient_product_with_a_mask_epilogue(m, n, k):
    """The backward shape dy @ W^T * (h > 0): transposed B packed in-register, then masked."""
    dy, w = _operands(m, n, k, False, True)
    h = RNG.standard_normal((m, n)).astype(np.float32)

    def f(dy, w, h):
        return ff.matmul(dy, w, transpose_b=True) * ff.cast(h > 0.0, ff.float32)

    got = ff.function(f, jit_compile=True)(dy, w, h).numpy()
    _check(got, _reference(dy, w, False, True) * (h > 0), np.float32, k)


def test_every_row_and_column_remainder_of_a_tile():
    """All m % MR and n % NR remainders in one sweep of small products."""
    mr, nr, _ = tile_shape(np.float32)
    fn = _matmul(True, False)
    for m in range(1, mr + 2):
        for n in (nr - 1, nr + 1, 2 * nr + 3):
            a, b = _operands(m, n, 5, True, False)
            _check(fn(a, b).numpy(), _reference(a, b, True, False), np.float32, 5)
