"""Permute: reorder the non-batch dimensions."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec


class Permute(Layer):
    """Permute the non-batch axes by `dims` (1-based, as Keras: (2, 1) swaps them)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set "
                             f"of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ff.transpose(inputs, perm=(0, *self.dims))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        return (shape[0], *(shape[d] for d in self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}
