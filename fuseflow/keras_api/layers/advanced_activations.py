"""Activation layers with parameters: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

from fuseflow.keras_api import activations, constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.utils import serialized


class ReLU(Layer):
    """`max(x, 0)` with optional `max_value` cap, `negative_slope` and `threshold`."""

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: `max_value` must be >= 0, received max_value={max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU: `negative_slope` must be >= 0, received {negative_slope}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """`x` if x > 0 else `alpha * x` (alpha 0.3 by default, as tf.keras 2)."""

    def __init__(self, alpha: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        if alpha is None or alpha < 0:
            raise ValueError(f"LeakyReLU: `alpha` must be a number >= 0, received {alpha!r}")
        self.alpha = float(alpha)

    def call(self, inputs):
        return ff.nn.leaky_relu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Leaky ReLU with a learned slope per element (shared along `shared_axes`)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None and not isinstance(shared_axes, list | tuple):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else list(shared_axes)

    def build(self, input_shape) -> None:
        shape = list(tuple(input_shape)[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        self.alpha = self.add_weight("alpha", tuple(shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        positive = ff.nn.relu(inputs)
        negative = ff.multiply(self.alpha, ff.nn.relu(ff.negative(inputs)))
        return ff.subtract(positive, negative)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "shared_axes": self.shared_axes,
                **serialized(self, "alpha_initializer", "alpha_regularizer",
                             "alpha_constraint")}


class ELU(Layer):
    """`x` if x > 0 else `alpha * (exp(x) - 1)`."""

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax along `axis`."""

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        return ff.nn.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
