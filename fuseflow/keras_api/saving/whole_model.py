"""Whole models as one `.keras` zip (or `.h5` with h5py): config, weights, compile, optimizer.

`.keras` members: `metadata.json` (`{"format": "fuseflow.keras/1", ...}`), `config.json`
(`{"class_name", "config", "compile_config", "build_config"}`), `model.weights.npz` (weights by
structure) and `optimizer.weights.npz` (the optimizer's iterations, learning rate and slots).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

from fuseflow.keras_api.layers.serialization import deserialize, json_default, serialize
from fuseflow.keras_api.saving import array_files, compile_state, model_config, structure
from fuseflow.keras_api.saving.files import atomic_write, reading, require

FORMAT = "fuseflow.keras/1"
_WHAT = "Keras model file"


def model_document(model, include_optimizer: bool = True) -> dict:
    """The JSON-able description of `model`: architecture, build and compile settings."""
    try:
        architecture = serialize(model)
    except NotImplementedError as error:
        raise NotImplementedError(
            f"Cannot save model {model.name!r} with its config: {error} Implement "
            "`get_config`/`from_config`, or save a SavedModel directory (`model.save(dir)`), "
            "which runs without the Python class.") from None
    compile_config = compile_state.compile_config(model) if include_optimizer else None
    return {**architecture, "compile_config": compile_config,
            "build_config": model_config.get_build_config(model)}


def _metadata() -> dict:
    from fuseflow import __version__

    return {"format": FORMAT, "fuseflow_version": __version__,
            "date_saved": datetime.datetime.now().isoformat(timespec="seconds")}


def save_keras(model, path, include_optimizer: bool = True) -> None:
    """Write `model` as a `.keras` zip at `path`, atomically."""
    document = model_document(model, include_optimizer)
    weights = structure.as_arrays(structure.layer_entries(model))
    optimizer = compile_state.optimizer_arrays(model) if include_optimizer else {}
    with atomic_write(path) as handle, zipfile.ZipFile(handle, "w") as archive:
        archive.writestr("metadata.json", json.dumps(_metadata()))
        archive.writestr("config.json", json.dumps(document, default=json_default))
        archive.writestr("model.weights.npz", array_files.npz_bytes(weights))
        archive.writestr("optimizer.weights.npz", array_files.npz_bytes(optimizer))


def load_keras(path, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """The model saved at `path` by `save_keras`."""
    with reading(path, _WHAT), zipfile.ZipFile(os.fspath(path)) as archive:
        metadata = json.loads(archive.read("metadata.json"))
        require(isinstance(metadata, dict) and metadata.get("format") == FORMAT, path, _WHAT,
                f"metadata.json does not name the format {FORMAT!r}")
        document = json.loads(archive.read("config.json"))
        weights = array_files.arrays_from_npz(io.BytesIO(archive.read("model.weights.npz")),
                                              path, _WHAT)
        optimizer = array_files.arrays_from_npz(
            io.BytesIO(archive.read("optimizer.weights.npz")), path, _WHAT)
    return revive(document, weights, optimizer, path, custom_objects, compile, safe_mode)


def save_h5(model, path, include_optimizer: bool = True) -> None:
    """Write `model` as one HDF5 file (configs as JSON attributes), atomically."""
    document = model_document(model, include_optimizer)
    arrays = {f"model_weights/{k}": v for k, v in
              structure.as_arrays(structure.layer_entries(model)).items()}
    if include_optimizer:
        arrays.update({f"optimizer_weights/{k}": v for k, v in
                       compile_state.optimizer_arrays(model).items()})
    attrs = {"fuseflow_format": FORMAT, "model_config": json.dumps(document, default=json_default)}
    array_files.write_h5(path, arrays, attrs)


def load_h5(path, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """The model saved at `path` by `save_h5`."""
    arrays, attrs = array_files.read_h5(path)
    require(attrs.get("fuseflow_format") == FORMAT, path, "HDF5 model file",
            "it holds weights only (use `load_weights`) or is not a fuseflow model file")
    with reading(path, "HDF5 model file"):
        document = json.loads(attrs["model_config"])

    def part(prefix):
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    return revive(document, part("model_weights/"), part("optimizer_weights/"), path,
                  custom_objects, compile, safe_mode)


def revive(document: dict, weights: dict, optimizer: dict, path, custom_objects, compile: bool,
           safe_mode: bool):
    """Rebuild, build, fill and (optionally) compile the model a document describes."""
    path = os.fspath(path)
    objects = model_config.check_lambdas(document, custom_objects, safe_mode, path)
    model = deserialize({"class_name": document["class_name"], "config": document["config"]},
                        objects)
    model_config.build_from_config(model, document.get("build_config"))
    structure.check_built(model, weights, path)
    structure.assign(structure.layer_entries(model), weights, path,
                     target=f"model {model.name!r}")
    if compile and document.get("compile_config"):
        compile_state.compile_from_config(model, document["compile_config"], objects)
        compile_state.restore_optimizer(model.optimizer, optimizer, model.trainable_variables,
                                        path)
    return model
