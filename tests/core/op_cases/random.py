"""Cases for fuseflow.core.ops.random_ops.

A random op's output cannot be compared with a reference value, so each case returns its
output's shape and a few statistics, compared with the distribution's within a tolerance.
"""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, sample


def nothing(rng) -> list:
    return []


def moments(t) -> tuple:
    """(shape, [mean, std]) of a tensor: what a random case checks."""
    x = np.asarray(t, dtype=np.float64)
    return np.array(x.shape), np.array([x.mean(), x.std()])


def _stats(op: str, label: str, fn, shape, mean, std, atol=0.05) -> OpCase:
    """A case whose output has `shape` and the given mean and std (within `atol`)."""
    return OpCase(op, fn, nothing, lambda: (np.array(shape), np.array([mean, std])),
                  label=label, grad=False, atol=atol, rtol=0.0)


def _categorical_frequencies(logits):
    samples = np.asarray(ff.random.categorical(logits, 4000, seed=5))
    return np.array(samples.shape), np.stack([np.bincount(row, minlength=3) / 4000
                                              for row in samples])


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _shuffled(x):
    out = np.asarray(ff.random.shuffle(x, seed=2))
    return np.array(out.shape), np.sort(out, axis=0)


U, N, T = "random_uniform", "random_normal", "truncated_normal"

CASES = [
    _stats(U, "float", lambda: moments(ff.random.uniform([64, 64], seed=1)), (64, 64), 0.5,
           np.sqrt(1 / 12)),
    _stats(U, "bounds", lambda: moments(ff.random.uniform([4096], -2.0, 4.0, ff.float64, seed=1)),
           (4096,), 1.0, np.sqrt(3.0), atol=0.1),
    _stats(U, "int", lambda: moments(ff.random.uniform([4096], 0, 10, ff.int32, seed=1)),
           (4096,), 4.5, np.sqrt(99 / 12), atol=0.15),
    _stats(N, "standard", lambda: moments(ff.random.normal([64, 64], seed=1)), (64, 64), 0.0,
           1.0),
    _stats(N, "moments", lambda: moments(ff.random.normal([4096], 3.0, 0.5, seed=1)), (4096,),
           3.0, 0.5),
    # A normal truncated at 2 sigma has std 0.8796.
    _stats(T, "standard", lambda: moments(ff.random.truncated_normal([64, 64], seed=1)),
           (64, 64), 0.0, 0.8796),
    OpCase("categorical", _categorical_frequencies,
           sample(lambda rng: np.log(np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]], np.float32))),
           lambda logits: (np.array([2, 4000]), _softmax(logits)), grad=False, atol=0.04,
           rtol=0.0),
    OpCase("random_shuffle", _shuffled, sample(floats(5, 2)),
           lambda x: (np.array([5, 2]), np.sort(x, axis=0)), grad=False),
]
