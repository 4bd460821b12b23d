"""BatchNormalization: normalize with batch statistics in training, moving ones at inference."""

from __future__ import annotations

from fuseflow.keras_api import constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import normalization_axes, serialized

_ARGS = ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
         "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
         "beta_constraint", "gamma_constraint")


class BatchNormalization(Layer):
    """`gamma * (x - mean) / sqrt(var + epsilon) + beta` per feature along `axis`.

    Training uses the batch's mean and variance and moves the non-trainable `moving_mean` and
    `moving_variance` towards them by `1 - momentum`; inference (and a frozen layer) uses the
    moving statistics.
    """

    def __init__(self, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        for name in _ARGS:
            module = initializers if name.endswith("initializer") else (
                regularizers if name.endswith("regularizer") else constraints)
            setattr(self, name, module.get(locals()[name]))

    def _axes(self, ndim: int) -> list[int]:
        return normalization_axes(self.name, self.axis, ndim)

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        axes = self._axes(len(shape))
        if any(shape[a] is None for a in axes):
            raise ValueError(f'Layer "{self.name}": axis {self.axis} of the input shape {shape} '
                             "must be defined")
        param_shape = tuple(shape[a] for a in axes)
        self.gamma = self.add_weight("gamma", param_shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight("beta", param_shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", param_shape, trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight("moving_variance", param_shape, trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.input_spec = InputSpec(ndim=len(shape), axes={a: shape[a] for a in axes})
        self.built = True

    def _broadcast(self, value, ndim: int, axes: list[int]):
        if axes == [ndim - 1]:
            return value
        shape = [1] * ndim
        for a, d in zip(axes, value.shape):
            shape[a] = d
        return ff.reshape(value, shape)

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        axes = self._axes(ndim)
        reduce_axes = [i for i in range(ndim) if i not in axes]
        if training and self.trainable:
            mean, variance = ff.nn.moments(inputs, reduce_axes)
            decay = 1.0 - self.momentum
            self.moving_mean.assign_sub(ff.multiply(ff.subtract(self.moving_mean, mean), decay))
            self.moving_variance.assign_sub(
                ff.multiply(ff.subtract(self.moving_variance, variance), decay))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        params = [None if p is None else self._broadcast(p, ndim, axes)
                  for p in (mean, variance, self.beta, self.gamma)]
        return ff.nn.batch_normalization(inputs, *params, variance_epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = {"axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                  "center": self.center, "scale": self.scale}
        return {**super().get_config(), **config, **serialized(self, *_ARGS)}
