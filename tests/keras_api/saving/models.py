"""Tiny models of each kind for the saving tests."""

from __future__ import annotations

import numpy as np

from fuseflow import keras_api as keras
from fuseflow.keras_api import layers as L


class Net(keras.Model):
    """A subclassed model (no constructor arguments, so the base config rebuilds it)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(5, activation="tanh")
        self.head = L.Dense(2)

    def call(self, x, training=None):
        return self.head(self.hidden(x))


def sequential():
    return keras.Sequential([keras.Input(shape=(3,)), L.Dense(5, activation="tanh"), L.Dense(2)])


def functional():
    x = keras.Input(shape=(3,))
    h = L.Dense(5, activation="tanh")(x)
    return keras.Model(x, L.Dense(2)(L.Dropout(0.0)(h)))


def subclassed():
    net = Net()
    net(np.zeros((1, 3), np.float32))
    return net


BUILDERS = {"sequential": sequential, "functional": functional, "subclassed": subclassed}
CUSTOM = {"Net": Net}


def data(seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((8, 3)).astype(np.float32),
            rng.standard_normal((8, 2)).astype(np.float32))


def trained(kind: str):
    """A compiled model of `kind` after two Adam steps (so the slots hold real state)."""
    model = BUILDERS[kind]()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model


def same_weights(a, b) -> bool:
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))
