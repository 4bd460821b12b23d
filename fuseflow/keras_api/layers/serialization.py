"""Layer (and model) configs to and from `{"class_name": ..., "config": ...}` dicts.

Custom classes are found in `custom_objects`, in an active `custom_object_scope`, or in the
classes registered with `register_keras_serializable`.
"""

from __future__ import annotations

import contextlib

_CUSTOM_OBJECTS: dict[str, object] = {}
_scopes: list[dict] = []


def get_custom_objects() -> dict:
    """The global dict of registered custom objects (name -> class or function)."""
    return _CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*scopes: dict):
    """Make the given name -> object dicts visible to deserialization inside the block."""
    merged = {}
    for scope in scopes:
        merged.update(scope or {})
    _scopes.append(merged)
    try:
        yield
    finally:
        _scopes.pop()


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Class decorator: make the class deserializable by its name."""
    def decorate(cls):
        key = name or cls.__name__
        _CUSTOM_OBJECTS[f"{package}>{key}"] = cls
        _CUSTOM_OBJECTS[key] = cls
        return cls

    return decorate


def _builtin_classes() -> dict[str, type]:
    from fuseflow.keras_api import layers, models

    found = {}
    for module in (layers, models):
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, type):
                found[name] = obj
    from fuseflow.keras_api.models.model import Functional

    found["Functional"] = Functional
    return found


def get_class(class_name: str, custom_objects: dict | None = None):
    """The class named `class_name`, or ValueError naming it."""
    for scope in (custom_objects or {}, *reversed(_scopes), _CUSTOM_OBJECTS, _builtin_classes()):
        if class_name in scope:
            return scope[class_name]
    raise ValueError(f"Unknown layer: '{class_name}'. Please ensure you are using a "
                     "`keras.utils.custom_object_scope` and that this object is included in "
                     "the scope.")


def json_default(value):
    """JSON for the values configs hold besides plain data: arrays (lists) and dtypes (names)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "name"):
        return value.name
    raise TypeError(f"Cannot serialize {value!r} to JSON")


def lookup(identifier, kind: str, functions: dict, classes: dict, deserialize):
    """A loss or metric from a function name, a class name, a config dict or a callable."""
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in functions:
            return functions[identifier]
        if identifier in classes:
            return classes[identifier]()
        plural = kind + ("es" if kind.endswith("s") else "s")
        raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Known "
                         f"{plural}: {sorted(set(functions) | set(classes))}")
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")


def serialize(layer) -> dict:
    """`{"class_name": ..., "config": ...}` for a layer or model."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None):
    """Create a layer or model from `serialize`'s dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Improper config format for a layer: {config!r}")
    cls = get_class(config["class_name"], custom_objects)
    inner = dict(config.get("config", {}))
    from fuseflow.keras_api.models.model import Model

    if isinstance(cls, type) and issubclass(cls, Model):
        return cls.from_config(inner, custom_objects=custom_objects)
    with custom_object_scope(custom_objects or {}):
        return cls.from_config(inner)
