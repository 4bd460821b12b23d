"""Which sublayers and variables a layer holds, found in its attributes, lists and dicts.

`Layer.__setattr__` records the names of attributes that may hold layers or variables; the
values are walked when asked, so `self.blocks.append(Dense(4))` after assignment is still seen.
"""

from __future__ import annotations

from fuseflow.core.variable import Variable

# Bookkeeping attributes that hold layers without owning them.
NOT_TRACKED = frozenset({
    "_inbound_nodes", "_outbound_nodes", "_tracked", "_own_weights", "_losses",
    "_callable_losses", "_nodes_by_depth", "_network_nodes", "_input_layers", "_output_layers",
    "_initial_weights", "_build_input_shape", "_batch_input_shape", "_input_coordinates",
    "_output_coordinates", "_nested_inputs", "_nested_outputs", "inputs", "outputs",
})
_CONTAINERS = (list, tuple, dict)


def may_hold_state(value) -> bool:
    """True for values worth walking: layers, variables and containers."""
    from fuseflow.keras_api.layers.base_layer import Layer

    return isinstance(value, Layer | Variable | list | tuple | dict)


def _leaves(value, depth: int = 0):
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        yield value
        return
    if depth > 8:  # a container nested this deep is data, not model structure
        return
    for item in items:
        if isinstance(item, _CONTAINERS):
            yield from _leaves(item, depth + 1)
        else:
            yield item


def tracked_leaves(layer):
    """Layers and variables held by `layer`'s tracked attributes, in assignment order."""
    from fuseflow.keras_api.layers.base_layer import Layer

    attrs = layer.__dict__
    for name in attrs.get("_tracked", ()):
        value = attrs.get(name)
        if value is None:
            continue
        for leaf in _leaves(value):
            if isinstance(leaf, Layer | Variable):
                yield leaf


def dedup(items: list) -> list:
    """`items` without repeats (by identity), first occurrence kept."""
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out
