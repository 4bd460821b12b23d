"""UpSampling2D: repeat rows and columns (nearest-neighbour upsampling)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg, int_tuple


class UpSampling2D(Layer):
    """Repeat each row `size[0]` times and each column `size[1]` times."""

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple("UpSampling2D", "size", size, 2)
        self.data_format = data_format_arg("UpSampling2D", data_format)
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: only interpolation='nearest' is supported, "
                             f"received interpolation={interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        _, rows, cols, channels = tuple(inputs.shape)
        if rows is None or cols is None or channels is None:
            raise ValueError(f'Layer "{self.name}": rows, cols and channels must be known, '
                             f"received shape {tuple(inputs.shape)}")
        sr, sc = self.size
        # (b, r, 1, c, 1, ch) * ones(1, 1, sr, 1, sc, 1) broadcasts each pixel to a block
        x = ff.reshape(inputs, (-1, rows, 1, cols, 1, channels))
        x = ff.multiply(x, ff.ones((1, 1, sr, 1, sc, 1), dtype=inputs.dtype))
        return ff.reshape(x, (-1, rows * sr, cols * sc, channels))

    def compute_output_shape(self, input_shape):
        b, rows, cols, c = tuple(input_shape)
        return (b, None if rows is None else rows * self.size[0],
                None if cols is None else cols * self.size[1], c)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
