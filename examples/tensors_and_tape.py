"""Tensors, variables and GradientTape: the basics, written as you would with `tf`."""

from __future__ import annotations

import fuseflow as tf


def main() -> None:
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    print("x =", x)
    print("x @ x =", tf.matmul(x, x).numpy().tolist())
    print("sum over rows:", tf.reduce_sum(x, axis=0).numpy().tolist())

    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = w * w * 3.0  # y = 3 w^2, so dy/dw = 6 w = 12
    print("dy/dw =", float(tape.gradient(y, w)))

    # Fit y = 2x + 1 with plain gradient descent.
    xs = tf.constant([0.0, 1.0, 2.0, 3.0])
    ys = 2.0 * xs + 1.0
    a, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(200):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(a * xs + b - ys))
        da, db = tape.gradient(loss, [a, b])
        a.assign_sub(0.1 * da)
        b.assign_sub(0.1 * db)
    print(f"fitted a={float(a):.3f} b={float(b):.3f} (want 2, 1)")


if __name__ == "__main__":
    main()
