"""Functional model configs: layers plus how they connect, and rebuilding from them.

Node indices in a config count only the nodes that belong to the model, so a layer shared with
another model gets the same config in both.
"""

from __future__ import annotations

from fuseflow.core import nest
from fuseflow.keras_api.layers.keras_tensor import KerasTensor
from fuseflow.keras_api.layers.serialization import deserialize, serialize


def _node_index_map(model) -> dict[int, int]:
    """id(node) -> its index among the layer's nodes that belong to `model`."""
    kept = model._network.node_ids
    mapping = {}
    for layer in model.layers:
        index = 0
        for node in layer._inbound_nodes:
            if id(node) in kept:
                mapping[id(node)] = index
                index += 1
    return mapping


def _coordinates(tensors, mapping) -> list:
    out = []
    for t in tensors:
        layer, _, tensor_index = t._keras_history
        out.append([layer.name, mapping[id(t.node)], tensor_index])
    return out


def _serial_kwargs(kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items() if not nest.is_nested(v)
            and not isinstance(v, KerasTensor)}


def functional_config(model) -> dict:
    """`{"name", "layers", "input_layers", "output_layers"}` describing the graph."""
    mapping = _node_index_map(model)
    layers = []
    for layer in model.layers:
        inbound = []
        for node in layer._inbound_nodes:
            if id(node) not in mapping or node.is_input:
                continue
            inbound.append([[*coords, _serial_kwargs(node.call_kwargs)]
                            for coords in _coordinates(node.keras_inputs, mapping)])
        layers.append({**serialize(layer), "name": layer.name, "inbound_nodes": inbound})
    return {"name": model.name, "layers": layers,
            "input_layers": _coordinates(model.inputs, mapping),
            "output_layers": _coordinates(model.outputs, mapping)}


def from_functional_config(cls, config: dict, custom_objects: dict | None = None):
    """Recreate the layers, replay their calls in dependency order, and build the model."""
    created = {}
    outputs: dict[str, list] = {}  # layer name -> output structure of each replayed node
    pending = []
    for layer_config in config["layers"]:
        layer = deserialize(layer_config, custom_objects)
        created[layer_config["name"]] = layer
        if not layer_config["inbound_nodes"]:
            outputs[layer_config["name"]] = [layer._inbound_nodes[0].outputs]
        pending.extend((layer_config["name"], node) for node in layer_config["inbound_nodes"])
    while pending:
        waiting = []
        for name, node_data in pending:
            # a shared layer's calls replay in order, so node indices match the config's
            blocked = any(n == name for n, _ in waiting)
            if blocked or not _replay(created[name], name, node_data, outputs):
                waiting.append((name, node_data))
        if len(waiting) == len(pending):
            raise ValueError(f"Cannot rebuild the model: layers {[n for n, _ in waiting]} "
                             "depend on outputs that never appear in the config.")
        pending = waiting

    def pick(coords):
        name, node_index, tensor_index = coords[:3]
        return nest.flatten(outputs[name][node_index])[tensor_index]

    inputs = [pick(c) for c in config["input_layers"]]
    model_outputs = [pick(c) for c in config["output_layers"]]
    return cls(inputs=inputs, outputs=model_outputs, name=config.get("name"))


def _replay(layer, name: str, node_data: list, outputs: dict) -> bool:
    args = []
    kwargs = {}
    for inbound_name, node_index, tensor_index, *rest in node_data:
        produced = outputs.get(inbound_name, [])
        if node_index >= len(produced):
            return False
        args.append(nest.flatten(produced[node_index])[tensor_index])
        kwargs = rest[0] if rest else {}
    result = layer(args[0] if len(args) == 1 else args, **kwargs)
    outputs.setdefault(name, []).append(result)
    return True
