"""Dropout: zero a fraction of the inputs while training, scaling the rest up."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.utils import rate_arg


class Dropout(Layer):
    """Zero each input with probability `rate` in training and scale the rest by 1/(1-rate)."""

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate_arg("Dropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = tuple(inputs.shape)
        dims = [shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        if all(d is not None for d in dims):
            return tuple(dims)
        dynamic = ff.shape(inputs)  # unknown dims are read at run time
        return ff.stack([dynamic[i] if d is None else ff.constant(d, dtype="int32")
                         for i, d in enumerate(dims)])

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate == 1.0:
            return ff.zeros_like(inputs)
        return ff.nn.dropout(inputs, rate=self.rate, noise_shape=self._noise_shape(inputs),
                             seed=self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}
