"""Cases for fuseflow.core.ops.reduction and scan."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, positive, sample


def distinct(*shape: int):
    """Values at least 0.1 apart, so extrema and orderings are not ties (no kinks)."""
    n = int(np.prod(shape))
    return lambda rng: (rng.permutation(n) * 0.1 - n * 0.05).reshape(shape).astype(np.float32)


def bools(*shape: int):
    return lambda rng: rng.random(shape) < 0.5


def with_zero(*shape: int):
    def part(rng):
        x = rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
        x.flat[1] = 0.0
        return x

    return part


def _logsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m, axis=axis)


def _cum(fn, x, axis, exclusive=False, reverse=False, identity=0.0):
    if reverse:
        x = np.flip(x, axis)
    out = fn(x, axis=axis)
    if exclusive:
        pad = np.full_like(np.take(out, [0], axis=axis), identity)
        out = np.concatenate([pad, np.delete(out, -1, axis=axis)], axis=axis)
    return np.flip(out, axis) if reverse else out


def _top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order


CASES = [
    OpCase("reduce_sum", lambda x: ff.reduce_sum(x, axis=1), sample(floats(3, 4)),
           lambda x: np.sum(x, axis=1), label="axis1"),
    OpCase("reduce_sum", lambda x: ff.reduce_sum(x), sample(floats(3, 4)), np.sum, label="all"),
    OpCase("reduce_sum", lambda x: ff.reduce_sum(x, [0, -1], keepdims=True),
           sample(floats(2, 3, 4)), lambda x: np.sum(x, axis=(0, 2), keepdims=True),
           label="keepdims"),
    OpCase("reduce_mean", lambda x: ff.reduce_mean(x, axis=-1), sample(floats(3, 4)),
           lambda x: np.mean(x, axis=-1), label="neg_axis"),
    OpCase("reduce_mean", lambda x: ff.reduce_mean(x, [0, 2], keepdims=True),
           sample(floats(2, 3, 4)), lambda x: np.mean(x, axis=(0, 2), keepdims=True),
           label="keepdims"),
    OpCase("reduce_mean", ff.reduce_mean, sample(floats(5)), np.mean, label="all"),
    OpCase("reduce_max", lambda x: ff.reduce_max(x, 1), sample(distinct(3, 4)),
           lambda x: np.max(x, axis=1), label="axis1"),
    OpCase("reduce_max", lambda x: ff.reduce_max(x, keepdims=True), sample(distinct(2, 3)),
           lambda x: np.max(x, keepdims=True), label="all_keepdims"),
    OpCase("reduce_min", lambda x: ff.reduce_min(x, [0, 2]), sample(distinct(2, 3, 2)),
           lambda x: np.min(x, axis=(0, 2)), label="axes"),
    OpCase("reduce_prod", lambda x: ff.reduce_prod(x, -1), sample(positive(2, 3)),
           lambda x: np.prod(x, axis=-1), label="last"),
    OpCase("reduce_prod", lambda x: ff.reduce_prod(x, [0, 2], keepdims=True),
           sample(positive(2, 3, 2)), lambda x: np.prod(x, axis=(0, 2), keepdims=True),
           label="axes"),
    OpCase("reduce_prod", lambda x: ff.reduce_prod(x), sample(with_zero(2, 3)), np.prod,
           label="zero"),
    OpCase("reduce_any", lambda x: ff.reduce_any(x, 1), sample(bools(3, 4)),
           lambda x: np.any(x, axis=1), grad=False),
    OpCase("reduce_all", lambda x: ff.reduce_all(x, 0, keepdims=True), sample(bools(3, 2)),
           lambda x: np.all(x, axis=0, keepdims=True), grad=False),
    OpCase("reduce_logsumexp", lambda x: ff.reduce_logsumexp(x, 1), sample(floats(3, 4)),
           lambda x: _logsumexp(x, 1)),
    OpCase("reduce_logsumexp", lambda x: ff.reduce_logsumexp(x, 0),
           sample(lambda rng: np.array([[1000.0, -1000.0], [999.0, -1001.0]], np.float32)),
           lambda x: _logsumexp(x, 0), label="large"),
    OpCase("reduce_variance", lambda x: ff.math.reduce_variance(x, 0), sample(floats(4, 3)),
           lambda x: np.var(x, axis=0)),
    OpCase("reduce_std", lambda x: ff.math.reduce_std(x, -1, keepdims=True),
           sample(floats(3, 4)), lambda x: np.std(x, axis=-1, keepdims=True)),
    OpCase("count_nonzero", lambda x: ff.math.count_nonzero(x, 1),
           sample(lambda rng: rng.integers(0, 2, (3, 4)).astype(np.float32)),
           lambda x: np.count_nonzero(x, axis=1), grad=False),
    OpCase("argmax", lambda x: ff.argmax(x, 1), sample(distinct(3, 4)),
           lambda x: np.argmax(x, 1), grad=False),
    OpCase("argmax", ff.argmax, sample(distinct(3, 4)), lambda x: np.argmax(x, 0),
           label="default_axis", grad=False),
    OpCase("argmin", lambda x: ff.argmin(x, -1, output_type=ff.int32), sample(distinct(3, 4)),
           lambda x: np.argmin(x, -1).astype(np.int32), grad=False),
    OpCase("cumsum", lambda x: ff.cumsum(x, 1), sample(floats(2, 4)),
           lambda x: np.cumsum(x, 1)),
    OpCase("cumsum", lambda x: ff.cumsum(x, 0, exclusive=True, reverse=True),
           sample(floats(4, 2)), lambda x: _cum(np.cumsum, x, 0, True, True),
           label="exclusive_reverse"),
    OpCase("cumsum", lambda x: ff.math.cumsum(x, -1, exclusive=True), sample(floats(2, 3)),
           lambda x: _cum(np.cumsum, x, -1, exclusive=True), label="exclusive"),
    OpCase("cumprod", lambda x: ff.math.cumprod(x, 1, reverse=True), sample(positive(2, 3)),
           lambda x: _cum(np.cumprod, x, 1, reverse=True)),
    OpCase("cumprod", lambda x: ff.math.cumprod(x, 0, exclusive=True), sample(positive(3, 2)),
           lambda x: _cum(np.cumprod, x, 0, exclusive=True, identity=1.0), label="exclusive"),
    OpCase("top_k", lambda x: tuple(ff.math.top_k(x, 2)), sample(distinct(3, 5)),
           lambda x: _top_k(x, 2)),
    OpCase("top_k", lambda x: ff.nn.top_k(x, 3).values, sample(distinct(2, 2, 4)),
           lambda x: _top_k(x, 3)[0], label="batched"),
    OpCase("size", ff.size, sample(floats(2, 5)), lambda x: np.array(x.size), grad=False),
    OpCase("rank", ff.rank, sample(floats(2, 5, 1)), lambda x: np.array(x.ndim), grad=False),
]
