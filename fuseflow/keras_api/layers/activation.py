"""Activation: apply an activation function by name or callable."""

from __future__ import annotations

from fuseflow.keras_api import activations
from fuseflow.keras_api.layers.base_layer import Layer


class Activation(Layer):
    """Apply `activation` (a name such as 'relu', or a callable) to the input."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
