"""`save_model` / `load_model`: the format follows the path (or `save_format`)."""

from __future__ import annotations

import os

from fuseflow.keras_api.saving import saved_model, weights, whole_model


def _format(path: str, save_format: str | None) -> str:
    if save_format not in (None, "keras", "tf", "h5"):
        raise ValueError(f"save_model: unknown save_format {save_format!r}; expected 'keras', "
                         "'tf' or 'h5'")
    if path.endswith(".keras"):
        if save_format not in (None, "keras"):
            raise ValueError(f"save_model: {path!r} ends in '.keras' but save_format="
                             f"{save_format!r}")
        return "keras"
    if path.endswith(weights.H5_SUFFIXES) or save_format == "h5":
        return "h5"
    if save_format == "keras":
        raise ValueError(f"save_model: save_format='keras' needs a path ending in '.keras', "
                         f"received {path!r}")
    return "tf"


def save_model(model, filepath, overwrite: bool = True, save_format: str | None = None,
               include_optimizer: bool = True, signatures=None, options=None,
               save_traces: bool = True, **kwargs) -> None:
    """Save a whole model: `.keras` zip, `.h5` (with h5py), or a SavedModel directory.

    Every file is written atomically: if saving fails, the previous save stays loadable.
    """
    if kwargs:
        raise TypeError(f"save_model: unexpected keyword argument(s) {sorted(kwargs)}")
    path = os.fspath(filepath)
    kind = _format(path, save_format)
    target = os.path.join(path, saved_model.GRAPH_FILE) if kind == "tf" else path
    if not overwrite and os.path.exists(target):
        raise FileExistsError(f"save_model: {path!r} exists and overwrite=False")
    if kind == "keras":
        whole_model.save_keras(model, path, include_optimizer)
    elif kind == "h5":
        whole_model.save_h5(model, path, include_optimizer)
    else:
        saved_model.save(model, path, signatures, include_optimizer)


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True, options=None):
    """Load a model saved by `save_model`: architecture, weights, compile and optimizer state.

    A SavedModel directory whose classes are unknown here loads as its serving graph (callable,
    with `predict`). Lambda layers need `custom_objects` (or `safe_mode=False`).

    Raises:
        FileNotFoundError: nothing at `filepath`.
        CorruptFileError: a truncated or damaged file, naming it.
    """
    path = os.fspath(filepath)
    if os.path.isdir(path):
        return saved_model.load_keras_model(path, custom_objects, compile, safe_mode)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_model: no file or SavedModel directory at {path!r}")
    if path.endswith(weights.H5_SUFFIXES):
        return whole_model.load_h5(path, custom_objects, compile, safe_mode)
    return whole_model.load_keras(path, custom_objects, compile, safe_mode)
