"""Activations by name and by function, against NumPy formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fuseflow import keras_api as keras
from fuseflow.keras_api import activations

X = np.linspace(-3, 3, 13, dtype=np.float32).reshape(1, 13)
ERF = np.vectorize(math.erf)

REFERENCES = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "tanh": np.tanh,
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                    * (np.exp(x) - 1)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2))),
    "exponential": np.exp,
    "relu6": lambda x: np.clip(x, 0, 6),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_activation_by_name_matches_formula(name):
    fn = activations.get(name)
    assert activations.serialize(fn) == name
    np.testing.assert_allclose(np.asarray(fn(X)), REFERENCES[name](X.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


def test_relu_options():
    got = activations.relu(X, alpha=0.1, max_value=2.0, threshold=0.5)
    x = X.astype(np.float64)
    want = np.where(x > 0.5, np.minimum(x, 2.0), 0.0) - 0.1 * np.maximum(0.5 - x, 0)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_get_accepts_none_callables_and_rejects_unknown_names():
    assert activations.get(None) is activations.linear
    assert activations.get(np.tanh) is np.tanh
    with pytest.raises(ValueError, match="Unknown activation function: 'swoosh'"):
        activations.get("swoosh")


def test_softmax_of_a_vector_is_refused():
    with pytest.raises(ValueError, match="1D"):
        activations.softmax(np.ones(3, np.float32))


def test_activation_layer_accepts_a_function_object():
    layer = keras.layers.Activation(activations.tanh)
    np.testing.assert_allclose(np.asarray(layer(X)), np.tanh(X), rtol=1e-6)
