"""Layer freezing and model summaries: train a head on top of a frozen feature layer.
Set FUSEFLOW_EXAMPLE_TINY=1 for a quick run."""

from __future__ import annotations

import os

import numpy as np

import fuseflow as tf

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))


def main() -> bool:
    (x_train, y_train), _ = tf.keras.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype(np.float32) / 16.0
    if TINY:
        x_train, y_train = x_train[:128], y_train[:128]
    tf.keras.utils.set_random_seed(0)
    features = tf.keras.layers.Dense(32, activation="relu", name="features")
    model = tf.keras.Sequential([tf.keras.layers.Input((64,)), features,
                                 tf.keras.layers.Dense(10, name="head")])
    features.trainable = False  # freeze: its kernel and bias stay as initialized
    model.compile(optimizer="adam",
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.summary()
    before = [w.copy() for w in features.get_weights()]
    model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)
    unchanged = all(np.array_equal(a, b) for a, b in zip(before, features.get_weights()))
    print(f"trainable weights: {len(model.trainable_weights)}, "
          f"frozen layer unchanged after fit: {unchanged}")
    return unchanged


if __name__ == "__main__":
    main()
