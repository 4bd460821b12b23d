"""Flatten: collapse all but the batch dimension."""

from __future__ import annotations

import math

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg


class Flatten(Layer):
    """Reshape (batch, d1, d2, ...) to (batch, d1 * d2 * ...)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg("Flatten", data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if inputs.ndim == 1:
            return ff.expand_dims(inputs, 1)
        inner = tuple(inputs.shape)[1:]
        if all(d is not None for d in inner):
            return ff.reshape(inputs, (-1, math.prod(inner)))
        batch = tuple(inputs.shape)[0]
        if batch is None:
            raise ValueError(f'Layer "{self.name}": cannot flatten an input of shape '
                             f"{tuple(inputs.shape)}: only one dimension may be unknown")
        return ff.reshape(inputs, (batch, -1))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        inner = shape[1:]
        size = math.prod(inner) if all(d is not None for d in inner) else None
        return (shape[0], size)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
