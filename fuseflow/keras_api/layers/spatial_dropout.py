"""SpatialDropout1D/2D: drop whole feature maps (channels) instead of single elements."""

from __future__ import annotations

from fuseflow.keras_api.layers.dropout import Dropout
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg


class SpatialDropout1D(Dropout):
    """Dropout of entire channels of (batch, steps, channels) inputs."""

    def __init__(self, rate: float, **kwargs):
        super().__init__(rate, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape(self, inputs):
        shape = tuple(inputs.shape)
        return (shape[0], 1, shape[2]) if shape[0] is not None else _dynamic(inputs, 3)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout2D(Dropout):
    """Dropout of entire channels of (batch, rows, cols, channels) inputs."""

    def __init__(self, rate: float, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = data_format_arg("SpatialDropout2D", data_format)
        self.input_spec = InputSpec(ndim=4)

    def _noise_shape(self, inputs):
        shape = tuple(inputs.shape)
        return (shape[0], 1, 1, shape[3]) if shape[0] is not None else _dynamic(inputs, 4)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape")
        return {**config, "data_format": self.data_format}


def _dynamic(inputs, rank: int):
    """Noise shape (batch, 1, ..., channels) when the batch is only known at run time."""
    from fuseflow.keras_api.backend import ff

    dims = ff.shape(inputs)
    one = ff.constant([1] * (rank - 2), dtype="int32")
    return ff.concat([dims[:1], one, dims[rank - 1:]], axis=0)
