"""Callbacks and checkpoints: save the weights after every epoch with a callback, then resume
training in a fresh model from the last checkpoint. Set FUSEFLOW_EXAMPLE_TINY=1 to run quickly."""

from __future__ import annotations

import os
import tempfile

import numpy as np

import fuseflow as tf

TINY = bool(os.environ.get("FUSEFLOW_EXAMPLE_TINY"))


class SaveEveryEpoch(tf.keras.callbacks.Callback):
    """Write the model's weights to `<folder>/epoch_<n>.npz` at the end of each epoch."""

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def on_epoch_end(self, epoch, logs=None):
        path = os.path.join(self.folder, f"epoch_{epoch + 1}.npz")
        np.savez(path, *self.model.get_weights())
        print(f"  saved {os.path.basename(path)} (loss {logs['loss']:.4f})")


def build() -> tf.keras.Model:
    model = tf.keras.Sequential([tf.keras.layers.Input((64,)),
                                 tf.keras.layers.Dense(32, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main() -> int:
    (x, y), _ = tf.keras.datasets.digits.load_data()
    x = x.reshape(-1, 64).astype(np.float32) / 16.0
    if TINY:
        x, y = x[:128], y[:128]
    folder = tempfile.mkdtemp(prefix="fuseflow_ckpt_")
    tf.keras.utils.set_random_seed(0)
    first = build()
    first.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[SaveEveryEpoch(folder)])

    latest = sorted(os.listdir(folder))[-1]
    resumed = build()
    with np.load(os.path.join(folder, latest)) as saved:
        resumed.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
    print(f"resuming from {latest}")
    history = resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=32, verbose=0,
                          callbacks=[SaveEveryEpoch(folder)])
    print("resumed epochs:", [e + 1 for e in history.epoch])
    return len(os.listdir(folder))


if __name__ == "__main__":
    main()
