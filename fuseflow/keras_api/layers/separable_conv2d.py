"""SeparableConv2D: a depthwise convolution followed by a 1x1 pointwise convolution."""

from __future__ import annotations

from fuseflow.keras_api import constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.conv import Conv
from fuseflow.keras_api.layers.utils import positive_int, serialized

_ARGS = ("depthwise_initializer", "pointwise_initializer", "depthwise_regularizer",
         "pointwise_regularizer", "depthwise_constraint", "pointwise_constraint")


class SeparableConv2D(Conv):
    """Depthwise-separable 2-D convolution: per-channel spatial filters, then a 1x1 mix."""

    rank = 2
    exact_ndim = True

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", depthwise_regularizer=None,
                 pointwise_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        self.depth_multiplier = positive_int("SeparableConv2D", "depth_multiplier",
                                             depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _add_kernels(self, channels: int) -> None:
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)

    def convolve(self, inputs):
        depthwise = ff.nn.depthwise_conv2d(inputs, self.depthwise_kernel, strides=self.strides,
                                           padding=self.padding.upper(),
                                           dilations=self.dilation_rate)
        return ff.nn.conv2d(depthwise, self.pointwise_kernel, strides=1, padding="VALID")

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint", "groups"):
            config.pop(key)
        config["depth_multiplier"] = self.depth_multiplier
        return {**config, **serialized(self, *_ARGS)}
