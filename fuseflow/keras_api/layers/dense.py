"""Dense: `activation(inputs @ kernel + bias)`."""

from __future__ import annotations

from fuseflow.keras_api import activations, constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import positive_int, serialized

_WEIGHT_ARGS = ("kernel_initializer", "bias_initializer", "kernel_regularizer",
                "bias_regularizer", "kernel_constraint", "bias_constraint")


class Dense(Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`."""

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int("Dense", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape) -> None:
        last = input_shape[-1]
        if last is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be "
                             f"defined. Found None. Full input shape received: "
                             f"{tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (last, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.built = True

    def call(self, inputs):
        # matmul -> bias_add -> activation is the epilogue fusion turns into one kernel.
        x = ff.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ff.nn.bias_add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict:
        config = {"units": self.units, "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias,
                  "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
        return {**super().get_config(), **config, **serialized(self, *_WEIGHT_ARGS)}
