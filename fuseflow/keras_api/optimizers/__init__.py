"""Keras optimizers (`fuseflow.keras.optimizers`), looked up by object, string or config."""

from __future__ import annotations

from fuseflow.keras_api.optimizers import legacy, schedules
from fuseflow.keras_api.optimizers.adadelta import Adadelta
from fuseflow.keras_api.optimizers.adagrad import Adagrad
from fuseflow.keras_api.optimizers.adam import Adam
from fuseflow.keras_api.optimizers.adamax import Adamax
from fuseflow.keras_api.optimizers.adamw import AdamW
from fuseflow.keras_api.optimizers.ftrl import Ftrl
from fuseflow.keras_api.optimizers.nadam import Nadam
from fuseflow.keras_api.optimizers.optimizer import Optimizer
from fuseflow.keras_api.optimizers.rmsprop import RMSprop
from fuseflow.keras_api.optimizers.sgd import SGD

_BY_NAME = {cls.__name__.lower(): cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta,
                                                   Adamax, Nadam, Ftrl)}


def serialize(optimizer: Optimizer) -> dict:
    """`{"class_name": ..., "config": ...}` for an optimizer."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict, custom_objects=None) -> Optimizer:
    """The optimizer `serialize` described."""
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer: {name!r}. Known optimizers: {sorted(_BY_NAME)}")
    return cls.from_config(config.get("config", {}))


def get(identifier) -> Optimizer:
    """An optimizer from an Optimizer, a name ('adam', 'sgd', ...) or a config dict."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Known "
                             f"optimizers: {sorted(_BY_NAME)}")
        return cls()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (expected an "
                     "Optimizer, a string or a config dict)")


__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Nadam", "Optimizer",
           "RMSprop", "SGD", "deserialize", "get", "legacy", "schedules", "serialize"]
