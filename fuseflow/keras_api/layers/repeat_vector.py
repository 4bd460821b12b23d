"""RepeatVector: repeat a vector n times, (batch, f) -> (batch, n, f)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import positive_int


class RepeatVector(Layer):
    """Repeat the input `n` times along a new axis 1."""

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int("RepeatVector", "n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ff.tile(ff.expand_dims(inputs, 1), (1, self.n, 1))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        return (shape[0], self.n, shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
