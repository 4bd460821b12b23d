"""Reshape: give each sample a new shape."""

from __future__ import annotations

import math

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer


class Reshape(Layer):
    """Reshape each sample to `target_shape` (no batch dim; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(
                d == 0 or d < -1 for d in self.target_shape):
            raise ValueError(f"Reshape: invalid `target_shape` {target_shape}; use positive "
                             "ints and at most one -1")

    def _resolved(self, input_shape) -> tuple:
        inner = tuple(input_shape)[1:]
        if -1 not in self.target_shape:
            total = math.prod(self.target_shape)
            if all(d is not None for d in inner) and math.prod(inner) != total:
                raise ValueError(f'Layer "{self.name}": total size of new array must be '
                                 f"unchanged, input_shape = {list(inner)}, output_shape = "
                                 f"{list(self.target_shape)}")
            return self.target_shape
        if any(d is None for d in inner):
            return self.target_shape
        known = -math.prod(self.target_shape)
        if math.prod(inner) % known:
            raise ValueError(f'Layer "{self.name}": total size of new array must be '
                             f"unchanged, input_shape = {list(inner)}, output_shape = "
                             f"{list(self.target_shape)}")
        return tuple(math.prod(inner) // known if d == -1 else d for d in self.target_shape)

    def call(self, inputs):
        return ff.reshape(inputs, (-1, *self._resolved(inputs.shape)))

    def compute_output_shape(self, input_shape):
        resolved = self._resolved(input_shape)
        return (tuple(input_shape)[0], *(None if d == -1 else d for d in resolved))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}
