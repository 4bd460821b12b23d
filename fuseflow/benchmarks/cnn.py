"""W3: a small CNN training step (conv, max pool, batch norm, dropout, global average pool,
dense, softmax cross-entropy, SGD, moving statistics) in NumPy and in fuseflow."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LR, MOMENTUM, EPS, RATE = 0.01, 0.99, 1e-3, 0.3


def make_problem(batch: int = 32, seed: int = 0) -> dict:
    """Glorot-uniform kernels, zero biases, unit BN scales, normal images, int32 labels."""
    rng = np.random.default_rng(seed)

    def glorot(shape, fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(np.float32)

    params = {"k1": glorot((3, 3, 3, 32), 27, 288), "b1": np.zeros(32, np.float32),
              "g1": np.ones(32, np.float32), "be1": np.zeros(32, np.float32),
              "k2": glorot((3, 3, 32, 64), 288, 576), "b2": np.zeros(64, np.float32),
              "g2": np.ones(64, np.float32), "be2": np.zeros(64, np.float32),
              "w": glorot((64, 10), 64, 10), "b": np.zeros(10, np.float32)}
    stats = {"m1": np.zeros(32, np.float32), "v1": np.ones(32, np.float32),
             "m2": np.zeros(64, np.float32), "v2": np.ones(64, np.float32)}
    x = rng.standard_normal((batch, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int32)
    return {"params": params, "stats": stats, "x": x, "y": y}


def _conv(x, k):
    kh, kw, c, o = k.shape
    cols = sliding_window_view(x, (kh, kw), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
    n, ho, wo = cols.shape[:3]
    cols = cols.reshape(n * ho * wo, kh * kw * c)
    return (cols @ k.reshape(-1, o)).reshape(n, ho, wo, o), cols


def _conv_back(dy, cols, x_shape, k):
    kh, kw, c, o = k.shape
    d2 = dy.reshape(-1, o)
    dk = (cols.T @ d2).reshape(k.shape)
    dcols = (d2 @ k.reshape(-1, o).T).reshape(*dy.shape[:3], kh, kw, c)
    dx = np.zeros(x_shape, np.float32)
    ho, wo = dy.shape[1:3]
    for i in range(kh):
        for j in range(kw):
            dx[:, i:i + ho, j:j + wo, :] += dcols[:, :, :, i, j, :]
    return dx, dk


def _bn(h, gamma, beta):
    mean, var = h.mean(axis=(0, 1, 2)), h.var(axis=(0, 1, 2))
    inv = 1.0 / np.sqrt(var + EPS)
    xhat = (h - mean) * inv
    return xhat * gamma + beta, (xhat, inv, mean, var)


def _bn_back(dy, gamma, saved):
    xhat, inv, _, _ = saved
    m = dy.size // dy.shape[-1]
    dbeta, dgamma = dy.sum(axis=(0, 1, 2)), (dy * xhat).sum(axis=(0, 1, 2))
    dx = (inv / m) * gamma * (m * dy - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def numpy_step(problem: dict, seed: int = 1) -> Callable[[], float]:
    """Hand-written forward and backward, in-place SGD and moving-statistics updates."""
    p = {k: v.copy() for k, v in problem["params"].items()}
    s = {k: v.copy() for k, v in problem["stats"].items()}
    x, y = problem["x"], problem["y"]
    rows, rng = np.arange(len(y)), np.random.default_rng(seed)

    def step() -> float:
        c1, cols1 = _conv(x, p["k1"])
        r1 = np.maximum(c1 + p["b1"], 0)
        n, hh, ww, c = r1.shape
        blocks = r1.reshape(n, hh // 2, 2, ww // 2, 2, c)
        pool = blocks.max(axis=(2, 4))
        h1, bn1 = _bn(pool, p["g1"], p["be1"])
        c2, cols2 = _conv(h1, p["k2"])
        r2 = np.maximum(c2 + p["b2"], 0)
        h2, bn2 = _bn(r2, p["g2"], p["be2"])
        keep = (rng.random(h2.shape, dtype=np.float32) >= RATE) / np.float32(1 - RATE)
        gap = (h2 * keep).mean(axis=(1, 2))
        z = gap @ p["w"] + p["b"]
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        dz = e / total
        dz[rows, y] -= 1.0
        dz /= len(y)
        grads = {"w": gap.T @ dz, "b": dz.sum(axis=0)}
        dgap = dz @ p["w"].T
        dh2 = np.broadcast_to(dgap[:, None, None, :] / (h2.shape[1] * h2.shape[2]), h2.shape)
        dr2, grads["g2"], grads["be2"] = _bn_back(dh2 * keep, p["g2"], bn2)
        dc2 = dr2 * (r2 > 0)
        grads["b2"] = dc2.sum(axis=(0, 1, 2))
        dh1, grads["k2"] = _conv_back(dc2, cols2, h1.shape, p["k2"])
        dpool, grads["g1"], grads["be1"] = _bn_back(dh1, p["g1"], bn1)
        winner = blocks == pool[:, :, None, :, None, :]
        dr1 = (winner * dpool[:, :, None, :, None, :]).reshape(r1.shape)
        dc1 = dr1 * (r1 > 0)
        grads["b1"] = dc1.sum(axis=(0, 1, 2))
        _, grads["k1"] = _conv_back(dc1, cols1, x.shape, p["k1"])
        for key, g in grads.items():
            p[key] -= LR * g
        for key, saved in (("1", bn1), ("2", bn2)):
            s["m" + key] = MOMENTUM * s["m" + key] + (1 - MOMENTUM) * saved[2]
            s["v" + key] = MOMENTUM * s["v" + key] + (1 - MOMENTUM) * saved[3]
        return loss

    return step


def fuseflow_step(problem: dict, mode: str) -> Callable[[], object]:
    """The TF-2 style step run eagerly ("eager"), as a graph ("graph") or compiled."""
    import fuseflow as tf

    p = {k: tf.Variable(v.copy()) for k, v in problem["params"].items()}
    s = {k: tf.Variable(v.copy(), trainable=False) for k, v in problem["stats"].items()}
    x, y = tf.constant(problem["x"]), tf.constant(problem["y"])
    names = list(p)

    def norm(h, key):
        mean, var = tf.nn.moments(h, axes=[0, 1, 2])
        s["m" + key].assign(MOMENTUM * s["m" + key] + (1 - MOMENTUM) * mean)
        s["v" + key].assign(MOMENTUM * s["v" + key] + (1 - MOMENTUM) * var)
        return tf.nn.batch_normalization(h, mean, var, p["be" + key], p["g" + key], EPS)

    def step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.nn.conv2d(x, p["k1"], 1, "VALID") + p["b1"])
            h = norm(tf.nn.max_pool2d(h, 2, 2, "VALID"), "1")
            h = norm(tf.nn.relu(tf.nn.conv2d(h, p["k2"], 1, "VALID") + p["b2"]), "2")
            h = tf.reduce_mean(tf.nn.dropout(h, RATE), axis=[1, 2])
            logits = tf.matmul(h, p["w"]) + p["b"]
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, [p[k] for k in names])
        for key, g in zip(names, grads):
            p[key].assign_sub(LR * g)
        return loss

    if mode != "eager":
        step = tf.function(step, jit_compile=(mode == "compiled"))
    return lambda: step(x, y)
