"""Compare eager, graph and compiled execution of one training step with
`fuseflow.profiler.compare`: it checks the three agree and prints the timing table.
Set FUSEFLOW_EXAMPLE_TINY=1 to run quickly."""

from __future__ import annotations

import os

import numpy as np

import fuseflow as tf
import fuseflow.profiler

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))
rng = np.random.default_rng(0)
w1 = tf.Variable(rng.normal(0, 0.05, (784, 128)).astype(np.float32))
w2 = tf.Variable(rng.normal(0, 0.05, (128, 10)).astype(np.float32))


def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    g1, g2 = tape.gradient(loss, [w1, w2])
    w1.assign_sub(0.01 * g1)
    w2.assign_sub(0.01 * g2)
    return loss


def main():
    batch = 8 if TINY else 128
    x = rng.random((batch, 784), np.float32)
    y = (np.arange(batch) % 10).astype(np.int32)
    report = fuseflow.profiler.compare(train_step, x, y, repeats=3 if TINY else 20)
    print(report)
    return report


if __name__ == "__main__":
    main()
