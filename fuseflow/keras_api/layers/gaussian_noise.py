"""GaussianNoise: add zero-mean normal noise while training (a regularizer)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer


class GaussianNoise(Layer):
    """Add Normal(0, stddev) noise to the inputs in training; identity at inference."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if float(stddev) < 0:
            raise ValueError(f"GaussianNoise: `stddev` must be >= 0, received {stddev!r}")
        self.stddev = float(stddev)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0.0:
            return inputs
        shape = tuple(inputs.shape)
        noise_shape = shape if all(d is not None for d in shape) else ff.shape(inputs)
        noise = ff.random.normal(noise_shape, stddev=self.stddev, dtype=inputs.dtype,
                                 seed=self.seed)
        return ff.add(inputs, noise)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
