"""RNN: run a recurrent cell over the time axis (an unrolled Python loop, differentiable).

A cell has `state_size` (an int or a list of ints), `build(input_shape)` and
`call(x_t, states, training=None) -> (output_t, new_states)`.
"""

from __future__ import annotations

from fuseflow.core import nest
from fuseflow.core.shape import TensorSpec
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.keras_tensor import KerasTensor


class RNN(Layer):
    """Apply `cell` to each time step of (batch, time, features) inputs."""

    def __init__(self, cell, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 time_major: bool = False, **kwargs):
        super().__init__(**kwargs)
        if stateful or time_major:
            raise ValueError(f"{type(self).__name__}: stateful and time_major RNNs are not "
                             "supported")
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.unroll = bool(go_backwards), bool(unroll)
        self.stateful = self.time_major = False
        self.input_spec = InputSpec(ndim=3)

    @property
    def _state_sizes(self) -> list[int]:
        size = self.cell.state_size
        return list(size) if isinstance(size, list | tuple) else [size]

    def build(self, input_shape) -> None:
        shape = tuple(input_shape[0] if isinstance(input_shape, list) else input_shape)
        if not self.cell.built:
            self.cell.build((shape[0], shape[-1]))
            self.cell.built = True
        self.input_spec = InputSpec(ndim=3, axes={-1: shape[-1]})
        self.built = True

    def _initial_states(self, inputs) -> list:
        zeros = ff.zeros_like(inputs[:, 0, :1])  # (batch, 1): carries the batch size
        return [ff.multiply(zeros, ff.zeros((1, size), dtype=inputs.dtype))
                for size in self._state_sizes]

    def call(self, inputs, mask=None, training=None, initial_state=None):
        steps = inputs.shape[1]
        if steps is None:
            raise ValueError(f'Layer "{self.name}": the number of time steps must be known '
                             f"when the layer runs; received shape {tuple(inputs.shape)}")
        states = list(nest.flatten(initial_state)) if initial_state is not None \
            else self._initial_states(inputs)
        if len(states) != len(self._state_sizes):
            raise ValueError(f'Layer "{self.name}" expects {len(self._state_sizes)} initial '
                             f"state(s), received {len(states)}")
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        for t in order:
            output, states = self.cell.call(inputs[:, t, :], states, training=training)
            states = list(nest.flatten(states))
            outputs.append(output)
        result = ff.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [result, *states] if self.return_state else result

    def _symbolic_outputs(self, inputs, args, kwargs):
        if inputs.shape[1] is not None:
            return super()._symbolic_outputs(inputs, args, kwargs)
        # an unknown number of steps: shapes come from compute_output_shape
        shapes = self.compute_output_shape(tuple(inputs.shape))
        if self.return_state:
            return [KerasTensor(TensorSpec(s, self.dtype)) for s in shapes]
        return KerasTensor(TensorSpec(shapes, self.dtype))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0] if isinstance(input_shape, list) else input_shape)
        units = self._state_sizes[0]
        out = (shape[0], shape[1], units) if self.return_sequences else (shape[0], units)
        if self.return_state:
            return [out, *((shape[0], s) for s in self._state_sizes)]
        return out

    def get_config(self) -> dict:
        config = {"return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "stateful": self.stateful,
                  "unroll": self.unroll, "time_major": self.time_major}
        base = super().get_config()
        if type(self) is RNN:
            from fuseflow.keras_api.layers.serialization import serialize

            config["cell"] = serialize(self.cell)
        return {**base, **config}

    @classmethod
    def from_config(cls, config: dict):
        if cls is RNN:
            from fuseflow.keras_api.layers.serialization import deserialize

            config = {**config, "cell": deserialize(config["cell"])}
        return cls(**config)


def cell_dropout_mask(x, rate: float, training):
    """A dropout mask for inputs shaped like `x`, reused at every step (None when unused)."""
    if not training or not rate:
        return None
    return ff.nn.dropout(ff.ones_like(x), rate=rate)
