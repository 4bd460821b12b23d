"""DepthwiseConv2D: one spatial filter (or `depth_multiplier` filters) per input channel."""

from __future__ import annotations

from fuseflow.keras_api import constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.conv import Conv
from fuseflow.keras_api.layers.utils import positive_int, serialized


class DepthwiseConv2D(Conv):
    """Depthwise 2-D convolution: output channels = input channels * depth_multiplier."""

    rank = 2
    exact_ndim = True

    def __init__(self, kernel_size, strides=(1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, depthwise_initializer="glorot_uniform",
                 depthwise_regularizer=None, depthwise_constraint=None, **kwargs):
        super().__init__(1, kernel_size, strides=strides, padding=padding, **kwargs)
        self.depth_multiplier = positive_int("DepthwiseConv2D", "depth_multiplier",
                                             depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _add_kernels(self, channels: int) -> None:
        self.filters = channels * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.kernel = self.depthwise_kernel

    def convolve(self, inputs):
        return ff.nn.depthwise_conv2d(inputs, self.depthwise_kernel, strides=self.strides,
                                      padding=self.padding.upper(),
                                      dilations=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        channels = tuple(input_shape)[-1]
        return (*shape[:-1], None if channels is None else channels * self.depth_multiplier)

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint",
                    "groups"):
            config.pop(key)
        config["depth_multiplier"] = self.depth_multiplier
        return {**config, **serialized(self, "depthwise_initializer", "depthwise_regularizer",
                                       "depthwise_constraint")}
