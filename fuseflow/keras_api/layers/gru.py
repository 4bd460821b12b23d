"""GRU: gated recurrent unit, gates z, r, h (Keras order; `reset_after` as tf.keras 2)."""

from __future__ import annotations

from fuseflow.keras_api import activations
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.rnn import cell_dropout_mask
from fuseflow.keras_api.layers.simple_rnn import (
    CELL_ARGS,
    BuiltinRNN,
    add_cell_weights,
    cell_config,
    init_cell_args,
)


class GRUCell(Layer):
    """One step of GRU: returns (h_t, [h_t])."""

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        init_cell_args(self, units, activation, use_bias, dropout, recurrent_dropout, locals())
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.state_size = self.output_size = self.units

    def build(self, input_shape) -> None:
        # reset_after keeps separate input and recurrent biases: shape (2, 3 * units)
        bias_shape = (2, 3 * self.units) if self.reset_after else None
        add_cell_weights(self, input_shape[-1], 3, bias_shape=bias_shape)
        self.built = True

    def call(self, inputs, states, training=None):
        (h,) = states
        mask = cell_dropout_mask(inputs, self.dropout, training)
        x = inputs if mask is None else ff.multiply(inputs, mask)
        gx = ff.matmul(x, self.kernel)
        if self.reset_after:
            gh = ff.matmul(h, self.recurrent_kernel)
            if self.bias is not None:
                gx, gh = ff.add(gx, self.bias[0]), ff.add(gh, self.bias[1])
            xz, xr, xh = ff.split(gx, 3, axis=1)
            hz, hr, hh = ff.split(gh, 3, axis=1)
            z = self.recurrent_activation(ff.add(xz, hz))
            r = self.recurrent_activation(ff.add(xr, hr))
            candidate = self.activation(ff.add(xh, ff.multiply(r, hh)))
        else:
            if self.bias is not None:
                gx = ff.add(gx, self.bias)
            xz, xr, xh = ff.split(gx, 3, axis=1)
            kz, kr, kh = ff.split(self.recurrent_kernel, 3, axis=1)
            z = self.recurrent_activation(ff.add(xz, ff.matmul(h, kz)))
            r = self.recurrent_activation(ff.add(xr, ff.matmul(h, kr)))
            candidate = self.activation(ff.add(xh, ff.matmul(ff.multiply(r, h), kh)))
        h = ff.add(ff.multiply(z, h), ff.multiply(ff.subtract(1.0, z), candidate))
        return h, [h]

    def get_config(self) -> dict:
        return {**super().get_config(), **cell_config(self),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(BuiltinRNN):
    """Gated recurrent unit layer (Cho et al.), unrolled over time."""

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 time_major: bool = False, reset_after: bool = True, **kwargs):
        kwargs.pop("implementation", None)
        cell_kwargs = {k: v for k, v in locals().items() if k in CELL_ARGS}
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, dtype=kwargs.get("dtype"), **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)

