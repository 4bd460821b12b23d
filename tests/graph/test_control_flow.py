"""cond and while_loop: eager, traced (graph and compiled), and their gradients."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff

MODES = [False, None]


def _branchy(x):
    return ff.cond(ff.reduce_sum(x) > 0.0, lambda: x * x, lambda: -x)


@pytest.mark.parametrize("jit_compile", MODES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_traced_matches_eager(jit_compile, sign):
    x = ff.constant(np.array([1.0, 2.0], np.float32) * sign)
    traced = ff.function(_branchy, jit_compile=jit_compile)
    np.testing.assert_allclose(traced(x).numpy(), _branchy(x).numpy())
    assert traced.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_gradient_traced_matches_eager(sign):
    w = ff.Variable([0.5, -1.5])

    def grad(x):
        with ff.GradientTape() as tape:
            tape.watch(x)
            y = ff.cond(ff.reduce_sum(x) > 0.0, lambda: x * x * w, lambda: ff.exp(x) + w)
            loss = ff.reduce_sum(y)
        return tape.gradient(loss, [x, w])

    x = ff.constant(np.array([1.0, 2.0], np.float32) * sign)
    want = grad(x)
    got = ff.function(grad, jit_compile=False)(x)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-6)


def test_cond_branch_side_effects_happen_only_in_taken_branch():
    v = ff.Variable(0.0)

    @ff.function
    def f(x):
        return ff.cond(x > 0.0, lambda: v.assign_add(1.0).read_value(), lambda: v * 1.0)

    f(ff.constant(1.0))
    f(ff.constant(-1.0))
    f(ff.constant(2.0))
    assert float(v.numpy()) == 2.0


def _loop(n, x):
    return ff.while_loop(lambda i, acc: i < n, lambda i, acc: (i + 1, acc * 1.5 + 1.0),
                         [ff.constant(0), x], maximum_iterations=10)


@pytest.mark.parametrize("jit_compile", MODES)
def test_while_loop_traced_matches_eager(jit_compile):
    x = ff.constant([1.0, -2.0])
    n = ff.constant(4)
    want = _loop(n, x)
    got = ff.function(_loop, jit_compile=jit_compile)(n, x)
    assert int(got[0]) == 4
    np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), rtol=1e-6)


def test_while_loop_gradient_with_maximum_iterations():
    def grad(n, x):
        with ff.GradientTape() as tape:
            tape.watch(x)
            _, y = _loop(n, x)
            loss = ff.reduce_sum(y * y)
        return tape.gradient(loss, x)

    x, n = ff.constant([1.0, -2.0]), ff.constant(3)
    want = grad(n, x).numpy()
    np.testing.assert_allclose(want, 2 * (1.5 ** 3 * x.numpy() + 4.75) * 1.5 ** 3, rtol=1e-5)
    np.testing.assert_allclose(ff.function(grad, jit_compile=False)(n, x).numpy(), want, rtol=1e-5)


def test_while_loop_generalizes_changing_shapes():
    @ff.function
    def grow(x):
        return ff.while_loop(lambda t: ff.shape(t)[0] < 8, lambda t: ff.concat([t, t], 0), [x])

    out = grow(ff.constant([1.0]))
    assert out[0].shape.as_list() == [8]
