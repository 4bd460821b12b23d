"""Conv1D: temporal convolution over (batch, steps, channels)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.conv import Conv


class Conv1D(Conv):
    """1-D convolution; padding 'valid', 'same' or 'causal' (left-padded, no look-ahead)."""

    rank = 1

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)

    def convolve(self, inputs):
        padding = self.padding
        if padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            inputs = ff.pad(inputs, [[0, 0], [left, 0], [0, 0]])
            padding = "valid"
        return ff.nn.conv1d(inputs, self.kernel, stride=self.strides[0],
                            padding=padding.upper(), dilations=self.dilation_rate[0])
