"""A whole training step (forward, GradientTape backward, SGD assign_sub) as one graph."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff


def _mlp(seed: int = 0):
    rng = np.random.default_rng(seed)
    sizes = [(12, 16), (16, 5)]
    return [ff.Variable(rng.normal(0, 0.3, s).astype(np.float32)) for s in sizes] + \
        [ff.Variable(np.zeros(s[1], np.float32)) for s in sizes]


def _step_fn(params, lr=0.1):
    w1, w2, b1, b2 = params

    def step(x, y):
        with ff.GradientTape() as tape:
            h = ff.nn.relu(x @ w1 + b1)
            logits = h @ w2 + b2
            loss = ff.reduce_mean(ff.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(lr * g)
        return loss

    return step


@pytest.mark.parametrize("jit_compile", [False, None])
def test_traced_training_matches_eager_for_50_steps(jit_compile):
    rng = np.random.default_rng(1)
    x = ff.constant(rng.normal(size=(8, 12)).astype(np.float32))
    y = ff.constant(rng.integers(0, 5, size=8).astype(np.int32))
    eager_params, graph_params = _mlp(), _mlp()
    eager_step = _step_fn(eager_params)
    graph_step = ff.function(_step_fn(graph_params), jit_compile=jit_compile)
    for _ in range(50):
        eager_loss = eager_step(x, y)
        graph_loss = graph_step(x, y)
    assert graph_step.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(graph_loss.numpy(), eager_loss.numpy(), rtol=1e-5)
    for a, b in zip(graph_params, eager_params):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


def test_function_called_eagerly_under_tape_is_differentiable():
    w = ff.Variable([1.0, 2.0])
    f = ff.function(lambda x: ff.reduce_sum(x * w * w))
    x = ff.constant([3.0, 4.0])
    f(x)  # cached trace, then called under a tape
    with ff.GradientTape() as tape:
        tape.watch(x)
        loss = f(x)
    gx, gw = tape.gradient(loss, [x, w])
    np.testing.assert_allclose(gx.numpy(), [1.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [6.0, 16.0])
