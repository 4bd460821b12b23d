"""Compile settings and optimizer state: to JSON-able configs and arrays, and back."""

from __future__ import annotations

import numpy as np

from fuseflow.keras_api import losses as losses_mod
from fuseflow.keras_api import metrics as metrics_mod
from fuseflow.keras_api import optimizers as optimizers_mod
from fuseflow.keras_api.saving import structure


def _tree(value, leaf):
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _tree(v, leaf) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tree(v, leaf) for v in value]
    return None if value is None else leaf(value)


def _loss_config(loss):
    if isinstance(loss, str | dict):
        return loss
    try:
        return losses_mod.serialize(loss)
    except ValueError:
        return getattr(loss, "__name__", None) or _unsaveable("loss", loss)


def _metric_config(metric):
    if isinstance(metric, str | dict):
        return metric
    return metrics_mod.serialize(metric)


def _unsaveable(what: str, value):
    raise ValueError(f"Cannot save the compile settings: {what} {value!r} has no config; use a "
                     "built-in name, a Loss/Metric object or a named function")


def compile_config(model) -> dict | None:
    """JSON-able `compile` arguments (with the optimizer's config), or None if not compiled."""
    if not getattr(model, "_is_compiled", False):
        return None
    config = model.get_compile_config()
    return {**config, "optimizer": optimizers_mod.serialize(model.optimizer),
            "loss": _tree(config.get("loss"), _loss_config),
            "metrics": _tree(config.get("metrics"), _metric_config),
            "weighted_metrics": _tree(config.get("weighted_metrics"), _metric_config)}


def compile_from_config(model, config: dict, custom_objects: dict | None) -> None:
    """Call `model.compile` with the settings `compile_config` recorded."""
    objects = custom_objects or {}

    # names stay names (compile resolves them, and the compile config then reads as it was)
    def loss(value):
        if isinstance(value, str):
            return objects.get(value, value)
        return losses_mod.deserialize(value, objects)

    def metric(value):
        if isinstance(value, str):
            return objects.get(value, value)
        return metrics_mod.deserialize(value, objects)

    kwargs = dict(config)
    kwargs["optimizer"] = optimizers_mod.deserialize(config["optimizer"], custom_objects)
    kwargs["loss"] = _tree(config.get("loss"), loss)
    kwargs["metrics"] = _tree(config.get("metrics"), metric)
    kwargs["weighted_metrics"] = _tree(config.get("weighted_metrics"), metric)
    model.compile(**kwargs)


def optimizer_arrays(model) -> dict[str, np.ndarray]:
    """The optimizer's variables (empty when the model has none)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {}
    return structure.as_arrays(structure.optimizer_entries(optimizer, prefix=""))


def restore_optimizer(optimizer, values: dict, var_list, path) -> None:
    """Put saved optimizer variables back, creating the slots for `var_list` first.

    The slots appear when an optimizer is built, so an unbuilt optimizer is built here with the
    variables a training step would hand it; the next step then continues where saving left off.
    """
    if not values:
        return
    if len(values) > len(optimizer.variables) and not optimizer.built:
        optimizer.build(list(var_list))
    entries = structure.optimizer_entries(optimizer, prefix="")
    structure.assign(entries, values, path, target=f"optimizer {optimizer.name!r}")
