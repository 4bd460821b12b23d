"""eliminate_dead_code on tiny graphs: op counts, numbers, untouched input."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.compiler.passes import eliminate_dead_code
from fuseflow.runtime.interpreter import interpret
from tests.helpers import count_ops


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def test_dead_branch_is_removed_and_numbers_kept():
    x = np.arange(4, dtype=np.float32)

    def fn(t):
        ff.exp(t) * 3.0  # unused
        return t + 1.0

    graph = trace(fn, x)
    cleaned = eliminate_dead_code(graph)
    assert count_ops(cleaned)["exp"] == 0
    assert count_ops(graph)["exp"] == 1  # the input graph is untouched
    np.testing.assert_allclose(interpret(cleaned, [x])[0], interpret(graph, [x])[0])


def test_side_effects_and_placeholders_survive():
    v = ff.Variable(np.zeros(3, np.float32))

    def fn(t, unused):
        v.assign_add(t)
        return ff.constant(1.0)

    graph = trace(fn, np.ones(3, np.float32), np.ones(2, np.float32))
    cleaned = eliminate_dead_code(graph)
    assert count_ops(cleaned)["assign_add"] == 1
    assert count_ops(cleaned)["placeholder"] == 2
