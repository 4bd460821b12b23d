"""plan_memory: producers folded into variable writes, variables updated in their own buffer."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.lowering.elementwise import ElementwiseKernel
from fuseflow.compiler.passes.plan_memory import DEAD
from fuseflow.compiler.plan import VAR_OUT


def _plan(fn, *arrays):
    concrete = fn.get_concrete_function(*[ff.constant(a) for a in arrays])
    run = concrete.executable()
    run(list(arrays))
    return run._last.plan


def _sgd(v):
    @ff.function(jit_compile=True)
    def step(g):
        v.assign_sub(0.5 * g)
        return ff.reduce_sum(g)

    return step


def test_sgd_update_is_one_kernel_written_in_place():
    v = ff.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    g = np.ones((2, 3), np.float32)
    plan = _plan(_sgd(v), g)
    writes = [s for s in plan.steps if isinstance(s, ElementwiseKernel)]
    assert len(writes) == 1 and [e.op for e in writes[0].entries] == ["multiply", "subtract"]
    assert not any(s.role == VAR_OUT for s in plan.slots)
    assert any(s.role == DEAD for s in plan.slots)


@pytest.mark.parametrize("steps", [1, 3])
def test_in_place_updates_match_eager(steps):
    start = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    compiled, eager = ff.Variable(start.copy()), ff.Variable(start.copy())
    step = _sgd(compiled)
    for i in range(steps):
        g = np.full((3, 4), i + 1, np.float32)
        step(ff.constant(g))
        eager.assign_sub(0.5 * ff.constant(g))
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), rtol=1e-6)


def test_tensor_read_before_the_call_keeps_its_value():
    v = ff.Variable(np.ones(4, np.float32))
    step = _sgd(v)
    step(ff.constant(np.ones(4, np.float32)))  # compile; the variable now owns its buffer
    held = v.value()
    before = held.numpy().copy()
    view = v.numpy()
    step(ff.constant(np.ones(4, np.float32)))
    np.testing.assert_array_equal(held.numpy(), before)
    np.testing.assert_array_equal(view, before)
    np.testing.assert_array_equal(v.numpy(), before - 0.5)


def test_old_value_returned_is_not_overwritten():
    v = ff.Variable(np.full(3, 2.0, np.float32))

    @ff.function(jit_compile=True)
    def swap(x):
        old = v.read_value() * 1.0
        v.assign(x)
        return old, v.read_value()

    for _ in range(2):
        old, new = (t.numpy() for t in swap(ff.constant(np.full(3, 7.0, np.float32))))
    np.testing.assert_array_equal(old, np.full(3, 7.0, np.float32))
    np.testing.assert_array_equal(new, np.full(3, 7.0, np.float32))
    first = ff.Variable(np.full(3, 2.0, np.float32))

    @ff.function(jit_compile=True)
    def bump(x):
        before = first.read_value()
        first.assign_add(x)
        return before

    got = bump(ff.constant(np.ones(3, np.float32))).numpy()
    np.testing.assert_array_equal(got, np.full(3, 2.0, np.float32))
    np.testing.assert_array_equal(first.numpy(), np.full(3, 3.0, np.float32))
