"""A CIFAR-style CNN in Sequential and subclassed form. Uses the cifar10 files when they are
present (see `tf.keras.datasets.cifar10`), otherwise random data of the same shape, with a
notice. Set FUSEFLOW_EXAMPLE_TINY=1 to run quickly."""

from __future__ import annotations

import os

import numpy as np

import fuseflow as tf

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))
layers = tf.keras.layers


def load(count: int):
    try:
        (x, y), _ = tf.keras.datasets.cifar10.load_data()
        x, y = x[:count], y[:count]
    except Exception as error:  # no files on this machine: same shapes, random values
        print(f"notice: CIFAR-10 files not found ({type(error).__name__}); using random data")
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, (count, 1), dtype=np.uint8)
    return x.astype(np.float32) / 255.0, y.astype(np.int32)


def sequential() -> tf.keras.Model:
    return tf.keras.Sequential([
        layers.Input((32, 32, 3)),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.BatchNormalization(),
        layers.Conv2D(32, 3, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dropout(0.3), layers.Dense(10),
    ])


class Subclassed(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(16, 3, activation="relu")
        self.pool = layers.MaxPooling2D(2)
        self.norm = layers.BatchNormalization()
        self.conv2 = layers.Conv2D(32, 3, activation="relu")
        self.gap = layers.GlobalAveragePooling2D()
        self.drop = layers.Dropout(0.3)
        self.dense = layers.Dense(10)

    def call(self, x, training=False):
        x = self.norm(self.pool(self.conv1(x)), training=training)
        return self.dense(self.drop(self.gap(self.conv2(x)), training=training))


def main() -> dict:
    x, y = load(64 if TINY else 2048)
    losses = {}
    for name, build in (("sequential", sequential), ("subclassed", Subclassed)):
        tf.keras.utils.set_random_seed(0)
        model = build()
        model.compile(optimizer="adam",
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        history = model.fit(x, y, epochs=1 if TINY else 3, batch_size=32, verbose=0)
        losses[name] = history.history["loss"][-1]
        print(f"{name:<11} final loss {losses[name]:.4f}")
    return losses


if __name__ == "__main__":
    main()
