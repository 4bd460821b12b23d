"""Sequential: a plain stack of layers, each with one input and one output."""

from __future__ import annotations

from fuseflow.core import nest
from fuseflow.core.shape import TensorShape
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_layer import Input, InputLayer
from fuseflow.keras_api.layers.keras_tensor import KerasTensor
from fuseflow.keras_api.models.model import Functional, Model


class Sequential(Functional):
    """A linear stack of layers; built as a functional graph once the input shape is known."""

    _auto_name = None  # "sequential", "sequential_1", ...

    def __init__(self, layers=None, name: str | None = None, **kwargs):
        Model.__init__(self, name=name, **kwargs)
        self._stack: list[Layer] = []
        self._input_tensor: KerasTensor | None = None
        self._explicit_input = False
        self.built = False
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The stacked layers, without the InputLayer."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def _children(self) -> list[Layer]:
        return Layer._children(self)

    def add(self, layer) -> None:
        """Append a layer (or an `Input(...)` tensor, which fixes the input shape)."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Received: "
                            f"layer={layer!r} of type {type(layer)}.")
        if any(layer.name == other.name for other in self._stack):
            raise ValueError(f'All layers added to a Sequential model should have unique names. '
                             f'Name "{layer.name}" is already the name of a layer in this '
                             "model. Update the `name` argument to pass a unique name.")
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError("An InputLayer can only be the first layer of a Sequential "
                                 f"model; {self.name!r} already has layers.")
            self._stack.append(layer)
            self._input_tensor = layer._inbound_nodes[0].outputs
            self._explicit_input = True
        else:
            shape = _known_input_shape(layer)
            if not self._stack and shape is not None:
                self._input_tensor = Input(batch_shape=shape, dtype=layer.dtype,
                                           name=f"{layer.name}_input")
                self._stack.append(self._input_tensor._keras_history[0])
                self._explicit_input = True
            self._stack.append(layer)
        if self._input_tensor is not None:
            self._build_graph()

    def pop(self) -> None:
        """Remove the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        self._stack.pop()
        if self._input_tensor is not None and self.layers:
            self._build_graph()
        else:
            self.built = False
            self._is_graph_network = False

    def _build_graph(self) -> None:
        x = self._input_tensor
        for layer in self.layers:
            x = layer(x)
            if len(nest.flatten(x)) != 1:
                raise ValueError("All layers in a Sequential model should have a single output "
                                 f"tensor. Layer {layer.name!r} has {len(nest.flatten(x))}.")
        self._init_graph_network(self._input_tensor, x)

    def build(self, input_shape=None, dtype=None) -> None:
        """Build the graph for inputs of `input_shape` (batch dim may be None)."""
        if input_shape is None:
            if self._input_tensor is None:
                raise ValueError("You must provide an `input_shape` argument.")
            return
        if self._stack and isinstance(self._stack[0], InputLayer):
            self._stack.pop(0)
        first = self.layers[0].name if self.layers else self.name
        self._input_tensor = Input(batch_shape=tuple(TensorShape(input_shape)),
                                   dtype=dtype or self.dtype, name=f"{first}_input")
        self._stack.insert(0, self._input_tensor._keras_history[0])
        self._explicit_input = True
        if self.layers:
            self._build_graph()

    def _maybe_build(self, inputs) -> None:
        if self.built or not self.layers:
            return
        if isinstance(inputs, KerasTensor) or not hasattr(inputs, "shape"):
            self.built = True
            return
        self.build((None, *tuple(inputs.shape)[1:]), dtype=inputs.dtype.name)
        self._explicit_input = False  # inferred from data: other shapes may run layer by layer

    def call(self, inputs, training=None, mask=None):
        """Run the layers in order."""
        if not self.layers:
            raise ValueError(f"Sequential model {self.name!r} has no layers.")
        if self._is_graph_network and (self._explicit_input or self._fits_graph(inputs)):
            return self._run_graph(inputs)
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x

    def _fits_graph(self, inputs) -> bool:
        shape = tuple(getattr(inputs, "shape", ()))
        want = tuple(self.inputs[0].shape)
        return len(shape) == len(want) and all(
            w is None or w == s for w, s in zip(want, shape))

    def get_config(self) -> dict:
        from fuseflow.keras_api.layers.serialization import serialize

        return {"name": self.name, "layers": [serialize(layer) for layer in self._stack]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        from fuseflow.keras_api.layers.serialization import deserialize

        model = cls(name=config.get("name"))
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config, custom_objects))
        return model


def _known_input_shape(layer: Layer) -> tuple | None:
    """The batch input shape a first layer fixes: `input_shape=` or a built model's input."""
    if layer._batch_input_shape is not None:
        return layer._batch_input_shape
    inputs = getattr(layer, "inputs", None) if getattr(layer, "_is_graph_network", False) \
        else None
    return tuple(inputs[0].shape) if inputs and len(inputs) == 1 else None
