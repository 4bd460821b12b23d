"""Node: one call of a layer on KerasTensors, the edge list of the functional graph."""

from __future__ import annotations

from fuseflow.core import nest
from fuseflow.keras_api.layers.keras_tensor import KerasTensor


class Node:
    """A layer called on symbolic inputs: remembers the arguments and the outputs it made."""

    def __init__(self, layer, call_args: tuple = (), call_kwargs: dict | None = None,
                 outputs=None):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs or {}
        self.outputs = outputs
        self.keras_inputs = [t for t in nest.flatten([call_args, self.call_kwargs])
                             if isinstance(t, KerasTensor)]
        self.flat_outputs = nest.flatten(outputs)
        self.is_input = not self.keras_inputs
        layer._inbound_nodes.append(self)
        index = len(layer._inbound_nodes) - 1
        for i, tensor in enumerate(self.flat_outputs):
            tensor._keras_history = (layer, index, i)
        for tensor in self.keras_inputs:
            tensor._keras_history[0]._outbound_nodes.append(self)

    @property
    def parent_nodes(self) -> list[Node]:
        """The nodes that made this node's inputs."""
        return [t.node for t in self.keras_inputs]

    def iterate_inbound(self):
        """(inbound_layer, node_index, tensor_index, tensor) for each symbolic input."""
        for tensor in self.keras_inputs:
            layer, node_index, tensor_index = tensor._keras_history
            yield layer, node_index, tensor_index, tensor

    def map_arguments(self, values: dict[int, object]) -> tuple[tuple, dict]:
        """The call's args and kwargs with each KerasTensor replaced by `values[id(tensor)]`."""
        def swap(item):
            return values[id(item)] if isinstance(item, KerasTensor) else item

        args = nest.map_structure(swap, self.call_args) if self.call_args else ()
        kwargs = nest.map_structure(swap, self.call_kwargs) if self.call_kwargs else {}
        return tuple(args), dict(kwargs)

    def __repr__(self) -> str:
        return f"<Node of {self.layer.name!r}: {len(self.keras_inputs)} input(s)>"
