"""Conv2DTranspose: the gradient of a convolution used as a layer (learned upsampling)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.conv import Conv
from fuseflow.keras_api.layers.input_spec import InputSpec


def deconv_output_length(length, kernel: int, padding: str, stride: int, dilation: int = 1):
    """The output length of a transposed convolution along one axis."""
    if length is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding == "same":
        return length * stride
    return length * stride + max(span - stride, 0)


class Conv2DTranspose(Conv):
    """Transposed 2-D convolution; the kernel is (rows, cols, filters, in_channels)."""

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid",
                 output_padding=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        if output_padding is not None:
            raise ValueError("Conv2DTranspose: `output_padding` is not supported; received "
                             f"output_padding={output_padding!r}")
        self.output_padding = None

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        return (*self.kernel_size, self.filters, channels)

    def build(self, input_shape) -> None:
        super().build(input_shape)
        self.input_spec = InputSpec(ndim=4, axes={-1: input_shape[-1]})

    def convolve(self, inputs):
        batch, rows, cols, _ = tuple(inputs.shape)
        if rows is None or cols is None:
            raise ValueError(f'Layer "{self.name}": the spatial dimensions of the inputs must '
                             f"be known, received shape {tuple(inputs.shape)}")
        out_rows, out_cols = (deconv_output_length(d, k, self.padding, s, r) for d, k, s, r in
                              zip((rows, cols), self.kernel_size, self.strides,
                                  self.dilation_rate))
        output_shape = (-1 if batch is None else batch, out_rows, out_cols, self.filters)
        return ff.nn.conv2d_transpose(inputs, self.kernel, output_shape, strides=self.strides,
                                      padding=self.padding.upper(),
                                      dilations=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = [deconv_output_length(d, k, self.padding, s, r) for d, k, s, r in zip(
            shape[1:3], self.kernel_size, self.strides, self.dilation_rate)]
        return (shape[0], *spatial, self.filters)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_padding": self.output_padding}
