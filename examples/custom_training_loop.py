"""A custom training loop: a `@tf.function` train step, an optimizer and Keras metrics.
Set FUSEFLOW_EXAMPLE_TINY=1 for a quick run."""

from __future__ import annotations

import os

import numpy as np

import fuseflow as tf

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))


def main() -> float:
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype(np.float32) / 16.0
    x_test = x_test.reshape(-1, 64).astype(np.float32) / 16.0
    dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train.astype(np.int32)))
    dataset = dataset.shuffle(1024, seed=0).batch(32)

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.layers.Input((64,)),
                                 tf.keras.layers.Dense(64, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tf.keras.optimizers.Adam(0.01)
    train_loss = tf.keras.metrics.Mean()
    train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        train_accuracy.update_state(y, logits)

    for epoch in range(1 if TINY else 5):
        train_loss.reset_state()
        train_accuracy.reset_state()
        for step, (x, y) in enumerate(dataset):
            train_step(x, y)
            if TINY and step == 5:
                break
        print(f"epoch {epoch + 1}: loss {float(train_loss.result()):.4f} "
              f"accuracy {float(train_accuracy.result()):.4f}")
    logits = model(tf.constant(x_test), training=False)
    accuracy = float(np.mean(np.argmax(logits.numpy(), axis=1) == y_test))
    print(f"test accuracy {accuracy:.4f}; train_step traced "
          f"{train_step.experimental_get_tracing_count()} time(s)")
    return accuracy


if __name__ == "__main__":
    main()
