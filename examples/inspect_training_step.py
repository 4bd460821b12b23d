"""Inspect a compiled training step: its traced graph, the optimized graph and its fused
kernels (what `fuseflow inspect` prints from the command line)."""

from __future__ import annotations

import numpy as np

import fuseflow as tf
from fuseflow.cli.kernels import describe_kernels

w = tf.Variable(np.zeros((64, 10), np.float32), name="kernel")
b = tf.Variable(np.zeros(10, np.float32), name="bias")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(0.5 * gw)
    b.assign_sub(0.5 * gb)
    return loss


def main() -> str:
    x = tf.constant(np.random.default_rng(0).random((32, 64), np.float32))
    y = tf.constant(np.arange(32, dtype=np.int32) % 10)
    train_step(x, y)
    concrete = train_step.get_concrete_function(x, y)
    print(concrete.pretty_printed_signature())
    print("\n-- traced graph")
    print(concrete.graph)
    kernels = describe_kernels(train_step, x, y)
    print("\n-- fused kernels")
    print(kernels)
    return kernels


if __name__ == "__main__":
    main()
