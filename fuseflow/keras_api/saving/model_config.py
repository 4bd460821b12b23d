"""What rebuilds a model: its config, its input specs (build config), and custom objects.

A subclassed model gets its variables only when first called, so saving records the specs of
that first call (batch dimension left unknown) and loading replays a symbolic call with them.
"""

from __future__ import annotations

import sys

from fuseflow.core import context, nest
from fuseflow.core.shape import TensorSpec
from fuseflow.keras_api.layers.keras_tensor import KerasTensor, SymbolicContext
from fuseflow.keras_api.layers.serialization import get_custom_objects


def input_specs(model):
    """The model's input specs (a structure of TensorSpec with batch None), or None."""
    if getattr(model, "_is_graph_network", False):
        specs = [TensorSpec(tuple(t.shape), t.dtype) for t in model.inputs]
        if isinstance(model._nested_inputs, dict):
            return dict(zip(sorted(model._nested_inputs), specs))
        return specs[0] if len(specs) == 1 else specs
    return getattr(model, "_saved_input_specs", None)


def record_input_specs(model, inputs) -> None:
    """Remember the specs of `model`'s first call, with an unknown batch dimension."""
    def relax(t):
        shape = tuple(t.shape)
        return TensorSpec((None, *shape[1:]) if shape else (), t.dtype)

    if all(hasattr(t, "shape") and hasattr(t, "dtype") for t in nest.flatten(inputs)):
        object.__setattr__(model, "_saved_input_specs", nest.map_structure(relax, inputs))


def _encode(specs):
    return nest.map_structure(lambda s: {"shape": list(s.shape), "dtype": s.dtype.name}, specs)


def _is_spec(value) -> bool:
    return isinstance(value, dict) and set(value) == {"shape", "dtype"}


def _decode(config):
    if _is_spec(config):
        return TensorSpec(tuple(config["shape"]), config["dtype"])
    if isinstance(config, dict):
        return {k: _decode(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_decode(v) for v in config]
    raise ValueError(f"Improper build config: {config!r}")


def get_build_config(model) -> dict | None:
    """`{"input_specs": ...}` (JSON-able), or None when the model never saw an input."""
    specs = input_specs(model)
    return None if specs is None else {"input_specs": _encode(specs)}


def build_from_config(model, config: dict | None) -> None:
    """Create a model's variables by calling it symbolically on the recorded input specs."""
    if model.built and model.weights or not config:
        return
    specs = _decode(config["input_specs"])
    inputs = nest.map_structure(lambda s: KerasTensor(s), specs)
    with context.pushed(SymbolicContext()):
        if getattr(model, "_is_graph_network", False):
            return
        model.call(inputs, **_training_kwarg(model))
    record_input_specs(model, inputs)
    model.built = True


def _training_kwarg(model) -> dict:
    from fuseflow.keras_api.layers.call_context import call_signature

    return {"training": False} if "training" in call_signature(type(model))[0] else {}


# -- code found by name only: never from the file -------------------------------------------------
def check_lambdas(config, custom_objects: dict | None, safe_mode: bool, path) -> dict:
    """Custom objects to load with; Lambda functions must be given (or safe_mode=False)."""
    objects = dict(custom_objects or {})
    for layer in _layer_configs(config):
        if layer.get("class_name") != "Lambda":
            continue
        name = layer.get("config", {}).get("function")
        if name in objects or name in get_custom_objects():
            continue
        main = getattr(sys.modules.get("__main__"), name, None) if isinstance(name, str) else None
        if not safe_mode and callable(main):
            objects[name] = main
            continue
        raise ValueError(
            f"Loading {path!r}: Lambda layer {layer['config'].get('name')!r} calls Python "
            f"function {name!r}, and loading never runs code stored in a file. Pass "
            f"`custom_objects={{{name!r}: {name}}}`"
            + (", or `safe_mode=False` to look it up in `__main__`." if safe_mode else "."))
    return objects


def _layer_configs(config):
    if isinstance(config, dict):
        if "class_name" in config:
            yield config
        for value in config.values():
            yield from _layer_configs(value)
    elif isinstance(config, list):
        for value in config:
            yield from _layer_configs(value)
