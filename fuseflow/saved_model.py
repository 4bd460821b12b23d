"""`fuseflow.saved_model`: export a model's serving graph with its variables, and load it back.

The loaded object runs the graph without the model's Python class:
`fuseflow.saved_model.load(path).serve(x)` (or `loaded(x)`, `loaded.signatures[...]`).
"""

from __future__ import annotations

from fuseflow.keras_api.saving.saved_model import LoadedModel, ServingFunction
from fuseflow.keras_api.saving.saved_model import load as _load
from fuseflow.keras_api.saving.saved_model import save as _save

SERVING = "serving_default"


def save(obj, export_dir, signatures=None, options=None) -> None:
    """Write `obj` (a Keras model, or signatures given as traced functions) to `export_dir`."""
    _save(obj, export_dir, signatures)


def load(export_dir, tags=None, options=None) -> LoadedModel:
    """The SavedModel at `export_dir`: callable, with `serve`, `signatures` and `variables`."""
    return _load(export_dir)


def contains_saved_model(export_dir) -> bool:
    """Whether `export_dir` holds a SavedModel."""
    from fuseflow.keras_api.saving.saved_model import is_saved_model

    return is_saved_model(export_dir)


__all__ = ["LoadedModel", "SERVING", "ServingFunction", "contains_saved_model", "load", "save"]
