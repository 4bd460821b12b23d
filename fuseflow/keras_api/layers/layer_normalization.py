"""LayerNormalization: normalize each sample over its feature axes."""

from __future__ import annotations

from fuseflow.keras_api import constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.utils import normalization_axes, serialized

_ARGS = ("beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
         "beta_constraint", "gamma_constraint")


class LayerNormalization(Layer):
    """`gamma * (x - mean) / sqrt(var + epsilon) + beta`, statistics over `axis` per sample."""

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _axes(self, ndim: int) -> list[int]:
        return normalization_axes(self.name, self.axis, ndim)

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        axes = self._axes(len(shape))
        param_shape = tuple(shape[a] for a in axes)
        if any(d is None for d in param_shape):
            raise ValueError(f'Layer "{self.name}": axis {self.axis} of the input shape {shape} '
                             "must be defined")
        self.gamma = self.add_weight("gamma", param_shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight("beta", param_shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.built = True

    def call(self, inputs):
        ndim = inputs.ndim
        axes = self._axes(ndim)
        mean, variance = ff.nn.moments(inputs, axes, keepdims=True)
        shape = [1] * ndim
        for a in axes:
            shape[a] = inputs.shape[a]

        def broadcast(p):
            return None if p is None else (p if axes == [ndim - 1] else ff.reshape(p, shape))

        return ff.nn.batch_normalization(inputs, mean, variance, broadcast(self.beta),
                                         broadcast(self.gamma), variance_epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = {"axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                  "scale": self.scale}
        return {**super().get_config(), **config, **serialized(self, *_ARGS)}
