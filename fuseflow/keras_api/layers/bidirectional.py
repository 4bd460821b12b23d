"""Bidirectional: run an RNN forwards and backwards and merge the two results."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.rnn import RNN
from fuseflow.keras_api.layers.serialization import deserialize, serialize

_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Wrap an RNN layer: a copy with `go_backwards` reads the sequence in reverse."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, RNN):
            raise ValueError("Please initialize `Bidirectional` layer with a recurrent layer "
                             f"instance. Received: {layer!r}")
        if merge_mode not in _MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             f"one of {list(_MODES)}")
        super().__init__(**kwargs)
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{layer.name}"})
        if backward_layer is None:
            backward = {**config, "name": f"backward_{layer.name}",
                        "go_backwards": not layer.go_backwards}
            backward_layer = type(layer).from_config(backward)
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state

    def build(self, input_shape) -> None:
        self.built = True  # both directions build on their first call

    def _merge(self, forward, backward):
        if self.merge_mode == "concat":
            return ff.concat([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return ff.add(forward, backward)
        if self.merge_mode == "mul":
            return ff.multiply(forward, backward)
        if self.merge_mode == "ave":
            return ff.multiply(ff.add(forward, backward), 0.5)
        return [forward, backward]

    def call(self, inputs, training=None, mask=None, initial_state=None):
        half = None if initial_state is None else len(initial_state) // 2
        forward = self.forward_layer(inputs, training=training, initial_state=None
                                     if half is None else initial_state[:half])
        backward = self.backward_layer(inputs, training=training, initial_state=None
                                       if half is None else initial_state[half:])
        states = []
        if self.return_state:
            states = forward[1:] + backward[1:]
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = ff.reverse(backward, axis=[1])  # align step t of both directions
        merged = self._merge(forward, backward)
        if self.return_state:
            merged = merged if isinstance(merged, list) else [merged]
            return merged + states
        return merged

    def get_config(self) -> dict:
        config = {"layer": serialize(self.forward_layer), "merge_mode": self.merge_mode,
                  "backward_layer": serialize(self.backward_layer)}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        layer = deserialize(config.pop("layer"))
        layer._name = layer.name.removeprefix("forward_")
        backward = config.pop("backward_layer", None)
        return cls(layer, backward_layer=None if backward is None else deserialize(backward),
                   **config)
