"""`model.save_weights` / `model.load_weights`: the format follows the path.

- `*.weights.npz` / `*.npz`: one `.npz` archive, always available.
- `*.h5` / `*.hdf5`: HDF5, when h5py is installed.
- anything else: a checkpoint prefix (`prefix.index` + `prefix.data-00000-of-00001`), and
  `checkpoint` in its directory names it as the latest.
"""

from __future__ import annotations

import os

from fuseflow.keras_api.saving import array_files, bundle, structure

H5_SUFFIXES = (".h5", ".hdf5")
NPZ_SUFFIXES = (".npz",)


def weights_format(path, save_format: str | None = None) -> str:
    """'npz', 'h5' or 'tf' (a checkpoint prefix) for `path`."""
    path = os.fspath(path)
    if save_format not in (None, "tf", "h5", "npz", "keras"):
        raise ValueError(f"save_weights: unknown save_format {save_format!r}; expected 'tf', "
                         "'h5' or None")
    if path.endswith(NPZ_SUFFIXES):
        return "npz"
    if path.endswith(H5_SUFFIXES) or save_format == "h5":
        return "h5"
    if path.endswith(".keras"):
        raise ValueError(f"save_weights/load_weights: {path!r} ends in '.keras', which holds a "
                         "whole model: use `model.save()` / `load_model()`, or a weights path "
                         "ending in '.weights.npz', '.weights.h5' or a checkpoint prefix")
    return "tf"


def save_weights(model, filepath, overwrite: bool = True, save_format: str | None = None,
                 options=None) -> None:
    """Write the model's weights to `filepath` in the format its suffix names."""
    path = os.fspath(filepath)
    kind = weights_format(path, save_format)
    target = bundle.index_path(path) if kind == "tf" else path
    if not overwrite and os.path.exists(target):
        raise FileExistsError(f"save_weights: {target!r} exists and overwrite=False")
    arrays = structure.as_arrays(structure.layer_entries(model))
    if kind == "npz":
        array_files.write_npz(path, arrays)
    elif kind == "h5":
        array_files.write_h5(path, arrays, {"fuseflow_format": "weights"})
    else:
        bundle.write(path, arrays, {"kind": "weights", "model": model.name})
        bundle.write_state(os.path.dirname(os.path.abspath(path)), os.path.abspath(path))


def read_weights(filepath) -> dict:
    """The key -> array mapping saved at `filepath` (any weights format)."""
    path = os.fspath(filepath)
    kind = weights_format(path)
    if kind == "npz":
        return array_files.read_npz(path)
    if kind == "h5":
        return array_files.read_h5(path)[0]
    arrays, _ = bundle.read(path)
    # a Checkpoint(model=...) stores the model under "model/"; accept it as plain weights too
    if not any(k.startswith(("vars/", "layer_with_weights-")) for k in arrays):
        return {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    return arrays


def load_weights(model, filepath, skip_mismatch: bool = False, by_name: bool = False,
                 options=None) -> None:
    """Load weights saved by `save_weights`, matching them by the model's structure.

    Raises:
        ValueError: the model has no variables yet (an unbuilt subclassed model), or the file's
            structure or shapes differ from the model's (naming the layer and both shapes).
        CorruptFileError: the file is truncated or damaged (naming the file).
    """
    if by_name:
        raise ValueError("load_weights(by_name=True) is only supported for legacy Keras HDF5 "
                         "files; fuseflow matches weights by the model's structure")
    values = read_weights(filepath)
    structure.check_built(model, values, filepath)
    entries = structure.layer_entries(model)
    structure.assign(entries, values, filepath, target=f"model {model.name!r}",
                     skip_mismatch=skip_mismatch)
