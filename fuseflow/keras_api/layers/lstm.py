"""LSTM: long short-term memory, gates i, f, c, o (Keras order)."""

from __future__ import annotations

from fuseflow.keras_api import activations, initializers
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


class _ForgetBiasOnes(initializers.Initializer):
    """The bias initializer with the forget-gate quarter set to one (`unit_forget_bias`)."""

    def __init__(self, base, units: int):
        self.base, self.units = base, units

    def _sample(self, shape, dtype):
        import numpy as np

        u = self.units
        values = [np.asarray(self.base((u,), dtype)) for _ in range(4)]
        values[1] = np.ones(u)
        return np.concatenate(values)


class LSTMCell(Layer):
    """One step of LSTM: returns (h_t, [h_t, c_t])."""

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        init_cell_args(self, units, activation, use_bias, dropout, recurrent_dropout, locals())
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape) -> None:
        bias_init = _ForgetBiasOnes(self.bias_initializer, self.units) \
            if self.unit_forget_bias else None
        add_cell_weights(self, input_shape[-1], 4, bias_init=bias_init)
        self.built = True

    def call(self, inputs, states, training=None):
        h, c = states
        mask = cell_dropout_mask(inputs, self.dropout, training)
        x = inputs if mask is None else ff.multiply(inputs, mask)
        z = ff.add(ff.matmul(x, self.kernel), ff.matmul(h, self.recurrent_kernel))
        if self.bias is not None:
            z = ff.nn.bias_add(z, self.bias)
        zi, zf, zc, zo = ff.split(z, 4, axis=1)
        i, f, o = (self.recurrent_activation(g) for g in (zi, zf, zo))
        c = ff.add(ff.multiply(f, c), ff.multiply(i, self.activation(zc)))
        h = ff.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), **cell_config(self),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(BuiltinRNN):
    """Long short-term memory layer (Hochreiter & Schmidhuber), unrolled over time."""

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 time_major: bool = False, **kwargs):
        kwargs.pop("implementation", None)
        cell_kwargs = {k: v for k, v in locals().items() if k in CELL_ARGS}
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, unit_forget_bias=unit_forget_bias, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"),
                        **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)

