"""A test-only model: Variables and a forward pass, with training from `Trainer` (no Layer)."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.keras_api.training.trainer import Trainer


class TinyModel(Trainer):
    """`softmax?(x @ kernel + bias)`, or the sum of per-input affine maps for dict inputs."""

    def __init__(self, n_in=4, n_out=3, seed=0, activation=None, inputs=None):
        rng = np.random.default_rng(seed)
        self.input_keys = inputs
        keys = inputs or ["x"]
        self.kernels = {k: ff.Variable((rng.standard_normal((n_in, n_out)) * 0.3).astype(
            np.float32), name=f"kernel_{k}") for k in keys}
        self.bias = ff.Variable(np.zeros(n_out, np.float32), name="bias")
        self.activation = activation
        self.name, self.built, self.stop_training, self.losses = "tiny", True, False, []
        self.calls = []

    def __call__(self, x, training=None):
        self.calls.append(training)
        parts = x if isinstance(x, dict) else {"x": x}
        out = self.bias
        for key, kernel in self.kernels.items():
            out = ff.matmul(ff.convert_to_tensor(parts[key]), kernel) + out
        if self.activation == "softmax":
            return ff.nn.softmax(out)
        if self.activation == "sigmoid":
            return ff.sigmoid(out)
        return out

    @property
    def trainable_variables(self):
        return [*self.kernels.values(), self.bias]

    variables = trainable_variables

    @property
    def non_trainable_variables(self):
        return []

    def get_weights(self):
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights):
        for v, w in zip(self.variables, weights):
            v.assign(w)


def classification_data(n=50, n_in=4, n_out=3, seed=0):
    """Separable-ish blobs: labels from a fixed linear map of the features."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in)).astype(np.float32)
    y = (x @ rng.standard_normal((n_in, n_out))).argmax(-1)
    return x, y
