"""Conv: the shared base of Conv1D and Conv2D (kernel + bias + activation, NHWC)."""

from __future__ import annotations

from fuseflow.keras_api import activations, constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.utils import (
    data_format_arg,
    int_tuple,
    padding_arg,
    positive_int,
    serialized,
)

_WEIGHT_ARGS = ("kernel_initializer", "bias_initializer", "kernel_regularizer",
                "bias_regularizer", "kernel_constraint", "bias_constraint")


def conv_output_length(length, kernel: int, padding: str, stride: int, dilation: int = 1):
    """The output length of a convolution or pooling window along one axis."""
    if length is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        out = length
    else:
        out = length - span + 1
    return (out + stride - 1) // stride


class Conv(Layer):
    """An N-D convolution layer; subclasses fix `rank` and the op that runs it."""

    rank = 2
    exact_ndim = False  # True: inputs must have exactly rank + 2 dims, not at least

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, groups: int = 1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.filters = positive_int(cls, "filters", filters)
        self.kernel_size = int_tuple(cls, "kernel_size", kernel_size, self.rank)
        self.strides = int_tuple(cls, "strides", strides, self.rank)
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = padding_arg(cls, padding, allowed)
        self.data_format = data_format_arg(cls, data_format)
        self.dilation_rate = int_tuple(cls, "dilation_rate", dilation_rate, self.rank)
        if groups != 1:
            raise ValueError(f"{cls}: only groups=1 is supported, received groups={groups}")
        self.groups = 1
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        return (*self.kernel_size, channels, self.filters)

    def build(self, input_shape) -> None:
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f'Layer "{self.name}": the channel dimension of the inputs should '
                             f"be defined. Found None. Full input shape: {tuple(input_shape)}")
        self._add_kernels(channels)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        ndim = {"ndim": self.rank + 2} if self.exact_ndim else {"min_ndim": self.rank + 2}
        self.input_spec = InputSpec(**ndim, axes={-1: channels})
        self.built = True

    def _add_kernels(self, channels: int) -> None:
        """Create the kernel weights (subclasses with other kernels override this)."""
        self.kernel = self.add_weight("kernel", self._kernel_shape(channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)

    def convolve(self, inputs):
        raise NotImplementedError

    def call(self, inputs):
        x = self.convolve(inputs)
        if self.bias is not None:
            x = ff.nn.bias_add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = [conv_output_length(d, k, self.padding, s, r) for d, k, s, r in zip(
            shape[1:-1], self.kernel_size, self.strides, self.dilation_rate)]
        return (shape[0], *spatial, self.filters)

    def get_config(self) -> dict:
        config = {"filters": self.filters, "kernel_size": self.kernel_size,
                  "strides": self.strides, "padding": self.padding,
                  "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                  "groups": self.groups, "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias,
                  "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
        return {**super().get_config(), **config, **serialized(self, *_WEIGHT_ARGS)}
