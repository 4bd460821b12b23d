"""MaxPooling1D/2D and AveragePooling1D/2D: window reductions over (batch, ..., channels)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.conv import conv_output_length
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg, int_tuple, padding_arg


class Pooling(Layer):
    """A pooling layer of `rank` spatial dims; strides default to the pool size."""

    rank = 2
    reducer = "max"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = int_tuple(cls, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else int_tuple(cls, "strides",
                                                                          strides, self.rank)
        self.padding = padding_arg(cls, padding)
        self.data_format = data_format_arg(cls, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        pool = ff.nn.max_pool2d if self.reducer == "max" else ff.nn.avg_pool2d
        if self.rank == 2:
            return pool(inputs, self.pool_size, self.strides, self.padding.upper())
        # 1-D pooling is 2-D pooling over a height-1 image
        x = ff.expand_dims(inputs, 1)
        y = pool(x, (1, self.pool_size[0]), (1, self.strides[0]), self.padding.upper())
        return ff.squeeze(y, axis=[1])

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = [conv_output_length(d, k, self.padding, s)
                   for d, k, s in zip(shape[1:-1], self.pool_size, self.strides)]
        return (shape[0], *spatial, shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling2D(Pooling):
    """Max over each pool_size window of (batch, rows, cols, channels)."""


class AveragePooling2D(Pooling):
    """Mean over each pool_size window of (batch, rows, cols, channels)."""

    reducer = "avg"


class MaxPooling1D(Pooling):
    """Max over each window of (batch, steps, channels)."""

    rank = 1


class AveragePooling1D(Pooling):
    """Mean over each window of (batch, steps, channels)."""

    rank = 1
    reducer = "avg"


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = (MaxPooling1D, MaxPooling2D, AveragePooling1D,
                                              AveragePooling2D)
