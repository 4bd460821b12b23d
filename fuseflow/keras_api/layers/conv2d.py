"""Conv2D: spatial convolution over (batch, rows, cols, channels) images."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.conv import Conv


class Conv2D(Conv):
    """2-D convolution with an HWIO kernel: `activation(conv2d(x, kernel) + bias)`."""

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid",
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)

    def convolve(self, inputs):
        return ff.nn.conv2d(inputs, self.kernel, strides=self.strides,
                            padding=self.padding.upper(), dilations=self.dilation_rate)
