"""W1/W2: an MLP training step (forward, softmax cross-entropy, backward, SGD) in NumPy and in
fuseflow (the same TF-2 step, eager, as a graph, or compiled)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LR = 0.01


def make_problem(sizes: tuple[int, ...], batch: int, seed: int) -> dict:
    """Glorot-uniform weights, small biases, normal inputs, int32 labels (float32)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append((0.01 * rng.standard_normal(fan_out)).astype(np.float32))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int32)
    return {"params": params, "x": x, "y": y}


def numpy_step(problem: dict) -> Callable[[], float]:
    """A hand-written NumPy forward and backward pass with in-place SGD updates."""
    params = [p.copy() for p in problem["params"]]
    x, y = problem["x"], problem["y"]
    n_layers, rows = len(params) // 2, np.arange(len(y))

    def step() -> float:
        acts, h = [x], x
        for i in range(n_layers):
            z = h @ params[2 * i]
            z += params[2 * i + 1]
            if i < n_layers - 1:
                h = np.maximum(z, 0.0, out=z)
                acts.append(h)
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - shifted[rows, y]))
        dz = e / s
        dz[rows, y] -= 1.0
        dz /= len(y)
        for i in reversed(range(n_layers)):
            w = params[2 * i]
            dw, db = acts[i].T @ dz, dz.sum(axis=0)
            if i > 0:
                dz = dz @ w.T
                dz *= acts[i] > 0
            w -= LR * dw
            params[2 * i + 1] -= LR * db
        return loss

    return step


def fuseflow_step(problem: dict, mode: str) -> Callable[[], object]:
    """The TF-2 style step run eagerly, as an interpreted graph, or compiled."""
    import fuseflow as tf

    variables = [tf.Variable(p.copy()) for p in problem["params"]]
    x, y = tf.constant(problem["x"]), tf.constant(problem["y"])
    n_layers = len(variables) // 2

    def step(x, y):
        with tf.GradientTape() as tape:
            h = x
            for i in range(n_layers):
                h = tf.matmul(h, variables[2 * i]) + variables[2 * i + 1]
                if i < n_layers - 1:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(LR * g)
        return loss

    if mode != "eager":
        step = tf.function(step, jit_compile=(mode == "compiled"))
    return lambda: step(x, y)
