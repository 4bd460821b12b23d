"""compile_graph end to end: compiled functions agree with eager execution."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.errors import InvalidArgumentError


def chain(x):
    return ff.tanh(0.5 * x + 1.0) * ff.nn.sigmoid(x) - 0.1 * x * x


def compiled(fn, **kwargs):
    return ff.function(fn, jit_compile=True, **kwargs)


def executable(fn, *arrays):
    return fn.get_concrete_function(*[ff.constant(a) for a in arrays]).executable()


COMPILED_CHAIN = compiled(chain)


@pytest.mark.parametrize("size", [1, 3, 17, 1000003])
def test_fused_chain_matches_eager_at_odd_sizes(size):
    x = np.random.default_rng(size).standard_normal(size).astype(np.float32) * 4
    got = COMPILED_CHAIN(ff.constant(x)).numpy()
    np.testing.assert_allclose(got, chain(ff.constant(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_fused_chain_is_one_kernel():
    x = np.ones(64, np.float32)
    run = executable(COMPILED_CHAIN, x)
    run([x])
    plan = run._last.plan
    assert len(plan.steps) == 1 and plan.fallbacks == []


def test_nan_and_infinities_pass_through():
    f = compiled(lambda x: ff.exp(x) + ff.log(x) * ff.tanh(x))
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -1.0, 2.0], np.float32)
    with np.errstate(all="ignore"):
        want = np.exp(x) + np.log(x) * np.tanh(x)
    np.testing.assert_allclose(f(ff.constant(x)).numpy(), want, rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((5, 7), (7,)), ((2, 1, 3), (4, 1)),
                                    ((6,), ()), ((), ()), ((1, 1), (3, 1))])
def test_broadcasting_corners(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    f = compiled(lambda x, y: ff.maximum(x * y - y, x) + 1.0)
    want = np.maximum(a * b - b, a) + 1.0
    got = f(ff.constant(a), ff.constant(b)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_empty_tensors():
    x = np.zeros((0, 3), np.float32)
    got = compiled(lambda t: ff.exp(t) * 2.0)(ff.constant(x)).numpy()
    assert got.shape == (0, 3)


def test_integer_and_bool_ops():
    f = compiled(lambda x, y: (ff.cast(ff.greater(x, y), ff.int32) + x * y, ff.greater(x, 0)))
    x = np.arange(-6, 6, dtype=np.int32)
    y = np.full(12, 2, np.int32)
    total, positive = f(ff.constant(x), ff.constant(y))
    np.testing.assert_array_equal(total.numpy(), (x > y).astype(np.int32) + x * y)
    np.testing.assert_array_equal(positive.numpy(), x > 0)


def test_variable_updates_in_compiled_step():
    v = ff.Variable(np.ones(5, np.float32))
    before = v.read_value()

    @compiled
    def step(g):
        v.assign_sub(0.5 * g)
        return v.read_value() * 2.0

    out = step(ff.constant(np.arange(5, dtype=np.float32)))
    np.testing.assert_allclose(v.numpy(), 1 - 0.5 * np.arange(5))
    np.testing.assert_allclose(out.numpy(), 2 * (1 - 0.5 * np.arange(5)))
    np.testing.assert_allclose(before.numpy(), np.ones(5))  # an earlier read keeps its value
    step(ff.constant(np.ones(5, np.float32)))
    np.testing.assert_allclose(v.numpy(), 0.5 - 0.5 * np.arange(5))


def test_fallback_op_runs_between_native_kernels():
    f = compiled(lambda x: ff.math.cumsum(x * 2.0, axis=0) + 1.0)
    x = np.arange(6, dtype=np.float32)
    np.testing.assert_allclose(f(ff.constant(x)).numpy(), np.cumsum(x * 2) + 1)
    plan = executable(f, x)._last.plan
    assert [s.op for s in plan.fallbacks] == ["cumsum"]


def test_wrong_dtype_is_an_error_not_a_crash():
    x = np.ones(4, np.float32)
    run = executable(COMPILED_CHAIN, x)
    with pytest.raises(InvalidArgumentError, match="dtype"):
        run([np.ones(4, np.float64)])


def test_incompatible_shape_is_an_error():
    f = compiled(lambda x: x + 1.0, input_signature=[ff.TensorSpec([None, 3], ff.float32)])
    run = f.get_concrete_function().executable()
    with pytest.raises(InvalidArgumentError, match="shape"):
        run([np.ones((2, 4), np.float32)])


def test_none_dims_compile_per_shape():
    f = compiled(lambda x: x * 3.0, input_signature=[ff.TensorSpec([None], ff.float32)])
    for n in (2, 5, 2):
        x = np.arange(n, dtype=np.float32)
        np.testing.assert_allclose(f(ff.constant(x)).numpy(), x * 3)


def test_non_contiguous_and_foreign_arrays_are_accepted():
    x = np.arange(20, dtype=np.float32)
    run = executable(COMPILED_CHAIN, x[:10])
    strided = x[::2]
    np.testing.assert_allclose(run([strided])[0], chain(ff.constant(strided)).numpy(), rtol=1e-5)
    swapped = np.arange(10, dtype=">f4")
    with pytest.raises(InvalidArgumentError):
        run([swapped])


def test_output_that_is_an_input_is_a_copy():
    f = compiled(lambda x: (x, x + 1.0))
    x = np.ones(3, np.float32)
    same, _ = f(ff.constant(x))
    assert not np.shares_memory(same.numpy(), x)


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("mkn", [(1, 1, 1), (7, 13, 5), (70, 300, 33)])
def test_matmul_matches_numpy(mkn, transpose_a, transpose_b):
    m, k, n = mkn
    rng = np.random.default_rng(m * n)
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
    f = compiled(lambda x, y: ff.matmul(x, y, transpose_a=transpose_a, transpose_b=transpose_b))
    want = (a.T if transpose_a else a) @ (b.T if transpose_b else b)
    np.testing.assert_allclose(f(ff.constant(a), ff.constant(b)).numpy(), want, rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("shapes", [((3, 4, 5), (5, 6)), ((4, 5), (2, 5, 3)),
                                    ((2, 3, 4), (2, 4, 3)), ((0, 4), (4, 2)), ((3, 0), (0, 2))])
def test_batched_and_empty_matmul(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float64) for s in shapes)
    f = compiled(lambda x, y: ff.matmul(x, y))
    np.testing.assert_allclose(f(ff.constant(a), ff.constant(b)).numpy(), a @ b, rtol=1e-12,
                               atol=1e-12)


def test_dense_layer_forward():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((33, 20)).astype(np.float32), rng.standard_normal((20, 9))
    w = w.astype(np.float32)
    bias = rng.standard_normal(9).astype(np.float32)
    f = compiled(lambda a, b, c: ff.nn.relu(ff.matmul(a, b) + c))
    np.testing.assert_allclose(f(*map(ff.constant, (x, w, bias))).numpy(),
                               np.maximum(x @ w + bias, 0), rtol=1e-5, atol=1e-5)


REDUCERS = {"sum": (ff.reduce_sum, np.sum), "mean": (ff.reduce_mean, np.mean),
            "max": (ff.reduce_max, np.max), "min": (ff.reduce_min, np.min),
            "prod": (ff.reduce_prod, np.prod)}


@pytest.mark.parametrize("name", sorted(REDUCERS))
@pytest.mark.parametrize("shape_axis", [((7,), None), ((5, 9), 1), ((5, 9), 0), ((3, 4, 5), 1),
                                        ((3, 4, 5), (1, 2)), ((2, 3, 4), (0, 2)), ((4, 0), 1),
                                        ((1, 6, 1), 1), ((70000,), None)])
def test_reductions_match_numpy(name, shape_axis):
    shape, axis = shape_axis
    ours, theirs = REDUCERS[name]
    spread = 0.001 if name == "prod" else 0.5  # products of 70000 terms must not underflow
    x = np.random.default_rng(0).uniform(1 - spread, 1 + spread, shape).astype(np.float32)
    f = compiled(lambda t: ours(t, axis=axis, keepdims=False))
    axes = axis if axis is None or isinstance(axis, tuple) else (axis,)
    with np.errstate(all="ignore"):
        if x.size == 0 and name in ("max", "min"):
            want = theirs(x, axis=axes, initial=-np.inf if name == "max" else np.inf)
        else:
            want = theirs(x.astype(np.float64), axis=axes)
    np.testing.assert_allclose(f(ff.constant(x)).numpy(), want, rtol=1e-5, equal_nan=True)


def test_reduction_keeps_nan():
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]], np.float32)
    f = compiled(lambda t: (ff.reduce_max(t, axis=1), ff.reduce_sum(t, axis=0)))
    top, total = f(ff.constant(x))
    np.testing.assert_array_equal(top.numpy(), [np.nan, 3.0])
    np.testing.assert_array_equal(total.numpy(), [2.0, np.nan, 5.0])
