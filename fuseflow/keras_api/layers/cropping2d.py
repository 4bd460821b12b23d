"""Cropping2D: cut rows and columns off the borders of images."""

from __future__ import annotations

from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import data_format_arg
from fuseflow.keras_api.layers.zero_padding2d import symmetric_pairs


class Cropping2D(Layer):
    """Remove `cropping` rows/cols from each border of (batch, rows, cols, channels)."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = symmetric_pairs("Cropping2D", "cropping", cropping)
        self.data_format = data_format_arg("Cropping2D", data_format)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape) -> None:
        for (before, after), size, what in zip(self.cropping, tuple(input_shape)[1:3],
                                               ("rows", "cols")):
            if size is not None and before + after >= size:
                raise ValueError(f'Layer "{self.name}": cropping {self.cropping} leaves no '
                                 f"{what} of an input of shape {tuple(input_shape)}")
        self.built = True

    def call(self, inputs):
        (top, bottom), (left, right) = self.cropping
        rows = slice(top, -bottom if bottom else None)
        cols = slice(left, -right if right else None)
        return inputs[:, rows, cols, :]

    def compute_output_shape(self, input_shape):
        b, rows, cols, c = tuple(input_shape)
        (top, bottom), (left, right) = self.cropping
        return (b, None if rows is None else rows - top - bottom,
                None if cols is None else cols - left - right, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}
