"""An MNIST-style MLP on the bundled digits, built three ways: Sequential, functional and
subclassed. Set FUSEFLOW_EXAMPLE_TINY=1 for a quick run."""

from __future__ import annotations

import os

import numpy as np

import fuseflow as tf

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))
EPOCHS = 1 if TINY else 10


def load():
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype(np.float32) / 16.0
    x_test = x_test.reshape(-1, 64).astype(np.float32) / 16.0
    if TINY:
        x_train, y_train = x_train[:256], y_train[:256]
    return (x_train, y_train), (x_test, y_test)


def sequential() -> tf.keras.Model:
    return tf.keras.Sequential([
        tf.keras.layers.Input((64,)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(10),
    ])


def functional() -> tf.keras.Model:
    inputs = tf.keras.Input((64,))
    hidden = tf.keras.layers.Dense(64, activation="relu")(inputs)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(10)(hidden))


class Subclassed(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = tf.keras.layers.Dense(64, activation="relu")
        self.out = tf.keras.layers.Dense(10)

    def call(self, x, training=False):
        return self.out(self.hidden(x))


def main() -> dict:
    (x_train, y_train), (x_test, y_test) = load()
    accuracies = {}
    for name, build in (("sequential", sequential), ("functional", functional),
                        ("subclassed", Subclassed)):
        tf.keras.utils.set_random_seed(0)
        model = build()
        model.compile(optimizer="adam",
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0)
        _, accuracies[name] = model.evaluate(x_test, y_test, verbose=0)
        print(f"{name:<11} test accuracy {accuracies[name]:.4f}")
    return accuracies


if __name__ == "__main__":
    main()
