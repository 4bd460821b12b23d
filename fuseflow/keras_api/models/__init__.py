"""`keras.models`: Model, Sequential, configs, cloning, saving and loading."""

from __future__ import annotations

import json

from fuseflow.keras_api.models.cloning import clone_model
from fuseflow.keras_api.models.model import Functional, Model
from fuseflow.keras_api.models.plot import model_to_dot, plot_model
from fuseflow.keras_api.models.sequential import Sequential
from fuseflow.keras_api.saving.api import load_model, save_model


def model_from_config(config: dict, custom_objects: dict | None = None):
    """Build a model (or layer) from `{"class_name": ..., "config": ...}`."""
    from fuseflow.keras_api.layers.serialization import deserialize

    return deserialize(config, custom_objects)


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """Build a model from `model.to_json()` text."""
    return model_from_config(json.loads(json_string), custom_objects)


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_config",
           "model_from_json", "model_to_dot", "plot_model", "save_model"]
