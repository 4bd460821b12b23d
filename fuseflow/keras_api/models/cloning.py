"""`clone_model`: the same architecture with fresh weights (functional or Sequential)."""

from __future__ import annotations

from fuseflow.core import nest
from fuseflow.keras_api.layers.input_layer import Input, InputLayer


def _clone_layer(layer):
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same layers (new weights, same configs).

    `clone_function(layer)` makes each new layer (default: `from_config(get_config())`).
    Subclassed models cannot be cloned: their structure lives in Python code.
    """
    from fuseflow.keras_api.models.sequential import Sequential

    clone = clone_function or _clone_layer
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone)
    if not getattr(model, "_is_graph_network", False):
        raise ValueError("Expected `model` argument to be a functional `Model` instance, but "
                         f"got a subclassed model instead: {model!r}")
    return _clone_functional(model, input_tensors, clone)


def _clone_sequential(model, input_tensors, clone):
    from fuseflow.keras_api.models.sequential import Sequential

    layers = [clone(layer) for layer in model.layers]
    new = Sequential(name=model.name)
    if input_tensors is not None:
        new.add(nest.flatten(input_tensors)[0])
    elif model._stack and isinstance(model._stack[0], InputLayer) and model._explicit_input:
        first = model._stack[0]
        new.add(Input(batch_shape=first._batch_input_shape, dtype=first.dtype,
                      name=first.name))
    for layer in layers:
        new.add(layer)
    return new


def _clone_functional(model, input_tensors, clone):
    from fuseflow.keras_api.models.model import Model

    if input_tensors is None:
        new_inputs = [Input(batch_shape=tuple(t.shape), dtype=t.dtype.name,
                            name=t._keras_history[0].name) for t in model.inputs]
    else:
        new_inputs = nest.flatten(input_tensors)
    computed = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    clones = {}
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input:
                continue
            layer = node.layer
            if id(layer) not in clones:
                clones[id(layer)] = clone(layer)
            args, kwargs = node.map_arguments(computed)
            result = clones[id(layer)](*args, **kwargs)
            for old, new in zip(node.flat_outputs, nest.flatten(result)):
                computed[id(old)] = new
    outputs = nest.map_structure(lambda t: computed[id(t)], model._nested_outputs)
    inputs = new_inputs if len(new_inputs) > 1 else new_inputs[0]
    return Model(inputs, outputs, name=model.name)
