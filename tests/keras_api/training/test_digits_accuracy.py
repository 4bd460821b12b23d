"""Small models trained on the bundled digits reach 95% test accuracy, compiled by default."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow import keras
from fuseflow.keras import layers


def _digits(channels: bool):
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = (x / np.float32(16.0) for x in (x_train, x_test))
    if channels:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return (x_train.astype(np.float32), y_train), (x_test.astype(np.float32), y_test)


def _mlp():
    return keras.Sequential([layers.Flatten(input_shape=(8, 8)),
                             layers.Dense(64, activation="relu"), layers.Dense(10)])


def _cnn():
    return keras.Sequential([layers.Input((8, 8, 1)),
                             layers.Conv2D(16, 3, activation="relu", padding="same"),
                             layers.MaxPooling2D(),
                             layers.Conv2D(32, 3, activation="relu"),
                             layers.Flatten(), layers.Dense(10)])


@pytest.mark.parametrize("build, channels, epochs", [(_mlp, False, 20), (_cnn, True, 12)],
                         ids=["mlp", "cnn"])
def test_small_model_reaches_95_percent_on_digits(build, channels, epochs):
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = _digits(channels)
    model = build()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95


def test_split_is_stratified_and_disjoint():
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    assert len(x_train) + len(x_test) == 1797
    counts = np.bincount(y_test, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 36
    train_rows = {row.tobytes() for row in x_train}
    assert sum(row.tobytes() in train_rows for row in x_test) < 5  # a few true duplicates exist
