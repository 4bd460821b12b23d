"""ZeroPadding2D: pad rows and columns of images with zeros."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg


def symmetric_pairs(layer: str, arg: str, value) -> tuple[tuple[int, int], tuple[int, int]]:
    """An int, a pair of ints, or a pair of pairs as ((top, bottom), (left, right))."""
    if isinstance(value, int):
        pairs = ((value, value), (value, value))
    elif len(value) == 2 and all(isinstance(v, int) for v in value):
        pairs = ((value[0], value[0]), (value[1], value[1]))
    elif len(value) == 2 and all(len(v) == 2 for v in value):
        pairs = (tuple(value[0]), tuple(value[1]))
    else:
        pairs = ((-1, -1), (-1, -1))
    if any(not isinstance(d, int) or d < 0 for pair in pairs for d in pair):
        raise ValueError(f"{layer}: `{arg}` should be an int, a tuple of 2 ints or a tuple of 2 "
                         f"tuples of 2 non-negative ints. Received: {arg}={value!r}")
    return pairs


class ZeroPadding2D(Layer):
    """Add `padding` zero rows/cols around (batch, rows, cols, channels) images."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = symmetric_pairs("ZeroPadding2D", "padding", padding)
        self.data_format = data_format_arg("ZeroPadding2D", data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return ff.pad(inputs, [[0, 0], list(self.padding[0]), list(self.padding[1]), [0, 0]])

    def compute_output_shape(self, input_shape):
        b, rows, cols, c = tuple(input_shape)
        (top, bottom), (left, right) = self.padding
        return (b, None if rows is None else rows + top + bottom,
                None if cols is None else cols + left + right, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding,
                "data_format": self.data_format}
