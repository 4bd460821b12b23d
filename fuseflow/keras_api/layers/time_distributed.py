"""TimeDistributed: apply a layer to every time step of (batch, time, ...) inputs."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.serialization import deserialize, serialize


class TimeDistributed(Layer):
    """Run `layer` on each (batch, ...) slice of the time axis, with shared weights."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a `Layer` "
                             f"instance. Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        self.input_spec = InputSpec(ndim=len(shape), axes={1: shape[1]} if shape[1] else None)
        self.built = True

    def call(self, inputs, training=None):
        shape = tuple(inputs.shape)
        steps, inner = shape[1], shape[2:]
        if steps is None or any(d is None for d in inner):
            raise ValueError(f'Layer "{self.name}": the time and feature dims must be known, '
                             f"received shape {shape}")
        folded = ff.reshape(inputs, (-1, *inner))  # (batch * time, ...)
        outputs = self.layer(folded, training=training) if "training" in _call_args(
            self.layer) else self.layer(folded)
        out_inner = tuple(outputs.shape)[1:]
        return ff.reshape(outputs, (-1, steps, *out_inner))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        inner = self.layer.compute_output_shape((shape[0], *shape[2:]))
        return (shape[0], shape[1], *tuple(inner)[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        return cls(deserialize(config.pop("layer")), **config)


def _call_args(layer) -> frozenset[str]:
    from fuseflow.keras_api.layers.call_context import call_signature

    return call_signature(type(layer))[0]
