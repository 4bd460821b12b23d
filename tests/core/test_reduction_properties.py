"""Reductions against NumPy float64 over random shapes, axes and keepdims; tie gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuseflow as ff


def _logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCTIONS = {
    "reduce_sum": (ff.reduce_sum, np.sum),
    "reduce_mean": (ff.reduce_mean, np.mean),
    "reduce_max": (ff.reduce_max, np.max),
    "reduce_min": (ff.reduce_min, np.min),
    "reduce_prod": (ff.reduce_prod, np.prod),
    "reduce_logsumexp": (ff.reduce_logsumexp, _logsumexp),
    "reduce_variance": (ff.math.reduce_variance, np.var),
    "reduce_std": (ff.math.reduce_std, np.std),
}


@st.composite
def shapes_and_axes(draw):
    """A shape of rank 0-3 and an axis argument: None, an int or a list (negatives too)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    rank = len(shape)
    if rank == 0 or draw(st.booleans()):
        return shape, None
    axes = draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True))
    axes = [a - rank if draw(st.booleans()) else a for a in axes]
    return shape, axes[0] if len(axes) == 1 and draw(st.booleans()) else axes


def _numpy_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@pytest.mark.parametrize("name", REDUCTIONS)
@settings(max_examples=15, deadline=None)
@given(case=shapes_and_axes(), keepdims=st.booleans(), seed=st.integers(0, 2**16))
def test_reduction_matches_numpy_float64(name, case, keepdims, seed):
    shape, axis = case
    fn, reference = REDUCTIONS[name]
    x = np.random.default_rng(seed).uniform(0.5, 1.5, size=shape).astype(np.float32)
    got = fn(ff.constant(x), axis=axis, keepdims=keepdims)
    want = reference(x.astype(np.float64), axis=_numpy_axis(axis), keepdims=keepdims)
    assert got.shape == np.shape(want) and got.dtype == ff.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name, reference", [("reduce_any", np.any), ("reduce_all", np.all)])
@settings(max_examples=15, deadline=None)
@given(case=shapes_and_axes(), keepdims=st.booleans(), seed=st.integers(0, 2**16))
def test_logical_reduction_matches_numpy(name, reference, case, keepdims, seed):
    shape, axis = case
    x = np.random.default_rng(seed).random(shape) < 0.5
    got = getattr(ff, name)(ff.constant(x), axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(got.numpy(), reference(x, _numpy_axis(axis),
                                                         keepdims=keepdims))


@settings(max_examples=15, deadline=None)
@given(case=shapes_and_axes(), keepdims=st.booleans(), seed=st.integers(0, 2**16))
def test_mean_gradient_is_one_over_count(case, keepdims, seed):
    shape, axis = case
    x = ff.constant(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.reduce_mean(x, axis=axis, keepdims=keepdims)
    count = np.prod(shape) / max(np.prod(y.shape), 1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.full(shape, 1 / count), rtol=1e-6)


@pytest.mark.parametrize("fn, x, want", [
    (ff.reduce_max, [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    (ff.reduce_min, [1.0, 3.0, 1.0, 1.0], [1 / 3, 0.0, 1 / 3, 1 / 3]),
])
def test_extremum_gradient_is_split_among_ties(fn, x, want):
    x = ff.constant(x)
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), want)


def test_prod_gradient_is_exact_at_zeros():
    x = ff.constant([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.reduce_prod(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 6, 0], [0, 0, 0]])


def test_integer_mean_truncates_like_tf():
    np.testing.assert_array_equal(ff.reduce_mean(ff.constant([[1, 2], [-3, -4]]), 1).numpy(),
                                  [1, -3])


def test_empty_max_gives_minus_infinity():
    assert ff.reduce_max(ff.zeros([0])).numpy() == -np.inf


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(0) inside, on purpose
def test_logsumexp_of_minus_infinity_is_minus_infinity():
    x = ff.constant([-np.inf, -np.inf])
    assert ff.reduce_logsumexp(x).numpy() == -np.inf


def test_argmax_defaults_to_axis_0_and_int64():
    got = ff.argmax(ff.constant([[1.0, 5.0], [3.0, 2.0]]))
    assert got.dtype == ff.int64
    np.testing.assert_array_equal(got.numpy(), [1, 0])


def test_top_k_result_has_named_fields_and_prefers_lower_index_on_ties():
    result = ff.math.top_k(ff.constant([1.0, 4.0, 4.0, 2.0]), k=2)
    np.testing.assert_array_equal(result.values.numpy(), [4.0, 4.0])
    np.testing.assert_array_equal(result.indices.numpy(), [1, 2])
    assert result.indices.dtype == ff.int32


@pytest.mark.parametrize("call, match", [
    (lambda x: ff.reduce_sum(x, axis=2), "axis"),
    (lambda x: ff.reduce_mean(x, axis=[0, -2]), "twice"),
    (lambda x: ff.reduce_any(x), "bool"),
    (lambda x: ff.argmax(x, 3), "axis"),
    (lambda x: ff.math.top_k(x, 4), "top_k"),
    (lambda x: ff.cumsum(x, 2), "axis"),
])
def test_bad_reduction_arguments_raise(call, match):
    with pytest.raises(ff.errors.InvalidArgumentError, match=match):
        call(ff.constant([[1.0, 2.0, 3.0]]))
