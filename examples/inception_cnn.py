"""A subclassed Inception-style CNN (parallel 1x1 / 3x3 / pooled branches, concatenated)
trained with a `@tf.function` step on the digits. Set FUSEFLOW_EXAMPLE_TINY=1 to run quickly."""

from __future__ import annotations

import os

import numpy as np

import fuseflow as tf

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))
layers = tf.keras.layers


class InceptionBlock(layers.Layer):
    def __init__(self, width: int, **kwargs):
        super().__init__(**kwargs)
        self.one = layers.Conv2D(width, 1, padding="same", activation="relu")
        self.three = layers.Conv2D(width, 3, padding="same", activation="relu")
        self.pool = layers.MaxPooling2D(3, strides=1, padding="same")
        self.pool_proj = layers.Conv2D(width, 1, padding="same", activation="relu")
        self.concat = layers.Concatenate(axis=-1)

    def call(self, x):
        return self.concat([self.one(x), self.three(x), self.pool_proj(self.pool(x))])


class InceptionNet(tf.keras.Model):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = layers.Conv2D(8, 3, padding="same", activation="relu")
        self.block = InceptionBlock(8)
        self.gap = layers.GlobalAveragePooling2D()
        self.classifier = layers.Dense(classes)

    def call(self, x, training=False):
        return self.classifier(self.gap(self.block(self.stem(x))))


def main() -> float:
    (x, y), _ = tf.keras.datasets.digits.load_data()
    x = x.reshape(-1, 8, 8, 1).astype(np.float32) / 16.0
    y = y.astype(np.int32)
    if TINY:
        x, y = x[:64], y[:64]
    tf.keras.utils.set_random_seed(0)
    model = InceptionNet()
    optimizer = tf.keras.optimizers.Adam(0.01)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    loss = float("nan")
    for epoch in range(1 if TINY else 5):
        for i in range(0, len(x), 32):
            loss = float(train_step(tf.constant(x[i:i + 32]), tf.constant(y[i:i + 32])))
        print(f"epoch {epoch + 1}: last batch loss {loss:.4f}")
    return loss


if __name__ == "__main__":
    main()
