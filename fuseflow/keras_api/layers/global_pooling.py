"""Global max/average pooling: reduce all spatial (or time) axes."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg


class GlobalPooling(Layer):
    """Reduce axes 1..rank of (batch, ..., channels) with max or mean."""

    rank = 2
    reducer = "max"

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        axes = list(range(1, self.rank + 1))
        reduce = ff.reduce_max if self.reducer == "max" else ff.reduce_mean
        return reduce(inputs, axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.keepdims:
            return (shape[0], *(1,) * self.rank, shape[-1])
        return (shape[0], shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling2D(GlobalPooling):
    """Max over rows and cols: (batch, rows, cols, channels) -> (batch, channels)."""


class GlobalAveragePooling2D(GlobalPooling):
    """Mean over rows and cols: (batch, rows, cols, channels) -> (batch, channels)."""

    reducer = "mean"


class GlobalMaxPooling1D(GlobalPooling):
    """Max over steps: (batch, steps, channels) -> (batch, channels)."""

    rank = 1


class GlobalAveragePooling1D(GlobalPooling):
    """Mean over steps: (batch, steps, channels) -> (batch, channels)."""

    rank = 1
    reducer = "mean"


GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
