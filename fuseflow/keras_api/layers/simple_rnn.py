"""SimpleRNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

from __future__ import annotations

from fuseflow.keras_api import activations, constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.rnn import RNN, cell_dropout_mask
from fuseflow.keras_api.layers.utils import positive_int, serialized

CELL_ARGS = ("kernel_initializer", "recurrent_initializer", "bias_initializer",
             "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
             "kernel_constraint", "recurrent_constraint", "bias_constraint")


def init_cell_args(cell, units, activation, use_bias, dropout, recurrent_dropout, kwargs_in):
    """Store the arguments every recurrent cell shares."""
    cell.units = positive_int(type(cell).__name__, "units", units)
    cell.activation = activations.get(activation)
    cell.use_bias = bool(use_bias)
    cell.dropout = min(1.0, max(0.0, float(dropout)))
    cell.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
    for name in CELL_ARGS:
        module = initializers if name.endswith("initializer") else (
            regularizers if name.endswith("regularizer") else constraints)
        setattr(cell, name, module.get(kwargs_in[name]))


def add_cell_weights(cell, input_dim: int, gates: int, bias_shape=None, bias_init=None) -> None:
    """kernel (input_dim, gates*units), recurrent_kernel (units, gates*units), bias."""
    width = gates * cell.units
    cell.kernel = cell.add_weight("kernel", (input_dim, width),
                                  initializer=cell.kernel_initializer,
                                  regularizer=cell.kernel_regularizer,
                                  constraint=cell.kernel_constraint)
    cell.recurrent_kernel = cell.add_weight("recurrent_kernel", (cell.units, width),
                                            initializer=cell.recurrent_initializer,
                                            regularizer=cell.recurrent_regularizer,
                                            constraint=cell.recurrent_constraint)
    cell.bias = None
    if cell.use_bias:
        cell.bias = cell.add_weight("bias", bias_shape or (width,),
                                    initializer=bias_init or cell.bias_initializer,
                                    regularizer=cell.bias_regularizer,
                                    constraint=cell.bias_constraint)


def cell_config(cell) -> dict:
    """The config entries every recurrent cell shares."""
    return {"units": cell.units, "activation": activations.serialize(cell.activation),
            "use_bias": cell.use_bias, "dropout": cell.dropout,
            "recurrent_dropout": cell.recurrent_dropout, **serialized(cell, *CELL_ARGS)}


class SimpleRNNCell(Layer):
    """One step of SimpleRNN."""

    def __init__(self, units: int, activation="tanh", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        init_cell_args(self, units, activation, use_bias, dropout, recurrent_dropout, locals())
        self.state_size = self.output_size = self.units

    def build(self, input_shape) -> None:
        add_cell_weights(self, input_shape[-1], 1)
        self.built = True

    def call(self, inputs, states, training=None):
        (h,) = states
        mask = cell_dropout_mask(inputs, self.dropout, training)
        x = inputs if mask is None else ff.multiply(inputs, mask)
        z = ff.add(ff.matmul(x, self.kernel), ff.matmul(h, self.recurrent_kernel))
        if self.bias is not None:
            z = ff.nn.bias_add(z, self.bias)
        out = self.activation(z)
        return out, [out]

    def get_config(self) -> dict:
        return {**super().get_config(), **cell_config(self)}


class BuiltinRNN(RNN):
    """An RNN layer that builds its own cell (SimpleRNN, GRU, LSTM): the cell's settings are the
    layer's own arguments and config entries."""

    @property
    def units(self) -> int:
        return self.cell.units

    def get_config(self) -> dict:
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell.pop(key)
        return {**super().get_config(), **cell}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class SimpleRNN(BuiltinRNN):
    """Fully connected RNN whose output is fed back as the next step's state."""

    def __init__(self, units: int, activation="tanh", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, **kwargs):
        cell_kwargs = {k: v for k, v in locals().items() if k in CELL_ARGS}
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, dropout=dropout,
                             recurrent_dropout=recurrent_dropout, **cell_kwargs,
                             dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

