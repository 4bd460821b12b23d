"""The main job: train on the bundled digits data and report loss and accuracy per epoch.

Until Keras and the compiler land this is a softmax regression written with GradientTape,
run eagerly.
"""

from __future__ import annotations

import time

import numpy as np

import fuseflow as ff
from fuseflow.keras_api.datasets import digits


def _prepare():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    scale = np.float32(1.0 / 16.0)  # pixel values are 0..16
    x_train = x_train.reshape(len(x_train), -1).astype(np.float32) * scale
    x_test = x_test.reshape(len(x_test), -1).astype(np.float32) * scale
    return (x_train, y_train.astype(np.int32)), (x_test, y_test.astype(np.int32))


def _accuracy(w, b, x, y) -> float:
    logits = ff.matmul(ff.constant(x), w) + b
    return float(np.mean(np.argmax(logits.numpy(), axis=1) == y))


def run(epochs: int = 10, batch_size: int = 32, learning_rate: float = 0.5,
        print_fn=print) -> dict:
    """Train softmax regression on digits with GradientTape; return the final metrics."""
    ff.random.set_seed(0)
    (x_train, y_train), (x_test, y_test) = _prepare()
    w = ff.Variable(np.zeros((64, 10), np.float32), name="kernel")
    b = ff.Variable(np.zeros(10, np.float32), name="bias")
    rng = np.random.default_rng(0)
    print_fn(f"digits: {len(x_train)} train / {len(x_test)} test images, 8x8, 10 classes")
    loss = float("nan")
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(x_train))
        losses = []
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            x, y = ff.constant(x_train[idx]), ff.constant(y_train[idx])
            with ff.GradientTape() as tape:
                logits = ff.matmul(x, w) + b
                loss = ff.reduce_mean(
                    ff.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            gw, gb = tape.gradient(loss, [w, b])
            w.assign_sub(learning_rate * gw)
            b.assign_sub(learning_rate * gb)
            losses.append(float(loss))
        seconds = time.perf_counter() - start
        loss = float(np.mean(losses))
        acc = _accuracy(w, b, x_train, y_train)
        print_fn(f"Epoch {epoch}/{epochs} - {seconds:.2f}s - loss: {loss:.4f} "
                 f"- accuracy: {acc:.4f}")
    test_acc = _accuracy(w, b, x_test, y_test)
    print_fn(f"test accuracy: {test_acc:.4f}")
    return {"loss": loss, "test_accuracy": test_acc}
