"""The functional graph: from output KerasTensors back to inputs, ordered by depth, and run.

A model's graph is its set of Nodes (one per layer call on KerasTensors). Depth 0 holds the
nodes that make outputs; a node's depth is one more than the deepest node using its outputs.
`model.layers` lists layers from the deepest (inputs) up, ties broken by discovery order.
"""

from __future__ import annotations

from dataclasses import dataclass

from fuseflow.core import nest
from fuseflow.keras_api.layers.keras_tensor import KerasTensor


@dataclass
class GraphNetwork:
    """The nodes of one functional model, by depth, and its layers in display order."""

    nodes_by_depth: dict[int, list]
    layers: list
    node_ids: set[int]


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> GraphNetwork:
    """Find every node between `inputs` and `outputs`; raise if an output needs another input."""
    ordered, layer_order = _nodes_in_decreasing_depth(outputs)
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers_by_id = {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        node_depth[id(node)] = depth
        layer_depth[id(node.layer)] = depth
        layers_by_id[id(node.layer)] = node.layer
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:  # inputs no output depends on still belong to the model
        layer = tensor._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            layer_order[id(layer)] = -1
            layers_by_id[id(layer)] = layer
            ordered.append(layer._inbound_nodes[0])
            node_depth[id(layer._inbound_nodes[0])] = 0
    nodes_by_depth: dict[int, list] = {}
    for node in ordered:
        nodes_by_depth.setdefault(node_depth[id(node)], []).append(node)
    layers = sorted(layers_by_id.values(),
                    key=lambda layer: (-layer_depth[id(layer)], layer_order[id(layer)]))
    _check_reachable(inputs, nodes_by_depth)
    return GraphNetwork(nodes_by_depth, layers, {id(n) for n in ordered})


def _nodes_in_decreasing_depth(outputs: list[KerasTensor]) -> tuple[list, dict[int, int]]:
    """Depth-first from the outputs: nodes after their parents, layers in discovery order."""
    finished: set[int] = set()
    in_progress: set[int] = set()
    ordered: list = []
    layer_order: dict[int, int] = {}

    def visit(tensor: KerasTensor) -> None:
        node = tensor.node
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"The tensor {tensor!r} at layer {node.layer.name!r} is part of "
                             "a cycle.")
        layer_order.setdefault(id(node.layer), len(layer_order))
        in_progress.add(id(node))
        for parent in node.keras_inputs:
            visit(parent)
        in_progress.discard(id(node))
        finished.add(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)
    return ordered, layer_order


def _check_reachable(inputs: list[KerasTensor], nodes_by_depth: dict[int, list]) -> None:
    known = {id(t) for t in inputs}
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                if not any(id(t) in known for t in node.flat_outputs):
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor "
                                     f"{node.flat_outputs[0]!r} at layer "
                                     f"{node.layer.name!r}: it is not one of the model's "
                                     "inputs.")
                continue
            for tensor in node.keras_inputs:
                if id(tensor) not in known:
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor "
                                     f"{tensor!r} at layer {node.layer.name!r}.")
            known.update(id(t) for t in node.flat_outputs)


def run_graph(network: GraphNetwork, inputs: list[KerasTensor], values: list,
              outputs) -> object:
    """Compute `outputs` (a structure of KerasTensors) from `values` fed to `inputs`."""
    computed = {id(t): v for t, v in zip(inputs, values)}
    for depth in sorted(network.nodes_by_depth, reverse=True):
        for node in network.nodes_by_depth[depth]:
            if node.is_input or not all(id(t) in computed for t in node.keras_inputs):
                continue
            args, kwargs = node.map_arguments(computed)
            result = node.layer(*args, **kwargs)
            for tensor, value in zip(node.flat_outputs, nest.flatten(result)):
                computed[id(tensor)] = value
    return nest.map_structure(lambda t: computed[id(t)], outputs)
