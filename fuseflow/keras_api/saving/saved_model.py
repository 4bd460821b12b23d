"""SavedModel directories: the traced serving graph as JSON plus the variables.

Layout of `export_dir`:

- `saved_model.json`: `{"format": "fuseflow.saved_model/1", "signatures": {name: {"graph",
  "inputs", "structure"}}, "captures": {graph variable key: {"key", "trainable"}},
  "keras": model document or null}`
- `variables/variables.index`, `variables/variables.data-00000-of-00001`: a checkpoint holding
  the model's weights (`model/...`), its optimizer (`optimizer/...`) and other captures.

Loading needs no Python class: the graph runs on the graph executors. All files are staged and
renamed together, so a failed save leaves the previous export loadable.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from fuseflow.core import context, nest
from fuseflow.core.ops.state import STATE_OPS
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.core.variable import Variable
from fuseflow.graph import serialize
from fuseflow.graph.concrete import build_executable
from fuseflow.graph.function import function
from fuseflow.graph.retracing import RetracingWarning
from fuseflow.keras_api.saving import bundle, model_config, structure, whole_model
from fuseflow.keras_api.saving.files import atomic_group, reading, require

FORMAT = "fuseflow.saved_model/1"
GRAPH_FILE = "saved_model.json"
SERVING = "serving_default"
_WHAT = "SavedModel"


def is_saved_model(path) -> bool:
    """Whether `path` is a SavedModel directory."""
    return os.path.isfile(os.path.join(os.fspath(path), GRAPH_FILE))


def _variables_prefix(export_dir: str) -> str:
    return os.path.join(export_dir, "variables", "variables")


# -- saving --------------------------------------------------------------------------------------
def _serving_function(model):
    specs = model_config.input_specs(model)
    if specs is None:
        raise ValueError(f"Cannot save model {model.name!r} as a SavedModel: it has not been "
                         "called on data yet, so its input shapes are unknown. Call it on a "
                         "batch (or `model.build(input_shape)`) first.")
    if isinstance(specs, list):
        specs = list(specs)  # a list stays a list: Model(...) takes its inputs as one list

    def serve(inputs):
        return model(inputs, training=False)

    with warnings.catch_warnings():
        # each save traces a fresh function on purpose: this is not accidental retracing
        warnings.simplefilter("ignore", RetracingWarning)
        return function(serve, input_signature=(specs,)).get_concrete_function()


def _concrete(signature):
    if hasattr(signature, "graph"):
        return signature
    if hasattr(signature, "get_concrete_function"):
        return signature.get_concrete_function()
    raise ValueError(f"saved_model.save: a signature must be a fuseflow.function with an "
                     f"input_signature or a ConcreteFunction, received {signature!r}")


def _signature_document(concrete) -> dict:
    try:
        graph = serialize.graph_to_dict(concrete.graph)
    except TypeError as error:
        raise ValueError(f"Cannot save signature {concrete.name!r} as a SavedModel: {error}") \
            from None
    inputs = [{"shape": list(s.shape), "dtype": s.dtype.name} for s in concrete.input_specs]
    structure_ = nest.map_structure(lambda v: 0 if isinstance(v, Tensor) else None,
                                    concrete.structured_outputs)
    return {"graph": graph, "inputs": inputs, "structure": _encode_structure(structure_)}


def _encode_structure(value):
    if isinstance(value, dict):
        return {"dict": {k: _encode_structure(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"list": [_encode_structure(v) for v in value]}
    return value


def save(obj, export_dir, signatures=None, include_optimizer: bool = True) -> None:
    """Write `obj` (a Keras model, or any object with `signatures`) as a SavedModel."""
    export_dir = os.fspath(export_dir)
    if os.path.isfile(export_dir):
        raise ValueError(f"saved_model.save: {export_dir!r} is a file; a SavedModel is a "
                         "directory")
    if signatures is None:
        signatures = {SERVING: _serving_function(obj)}
    elif not isinstance(signatures, dict):
        signatures = {SERVING: signatures}
    concretes = {name: _concrete(sig) for name, sig in signatures.items()}
    arrays, captures = _variable_arrays(obj, concretes, include_optimizer)
    document = {"format": FORMAT, "captures": captures, "keras": _keras_document(obj),
                "signatures": {n: _signature_document(c) for n, c in concretes.items()}}
    text = json.dumps(document)
    with atomic_group() as group:
        bundle.write(_variables_prefix(export_dir), arrays, {"kind": "saved_model"}, group)
        with group.open(os.path.join(export_dir, GRAPH_FILE)) as handle:
            handle.write(text.encode("utf-8"))


def _keras_document(obj):
    if not hasattr(obj, "get_config") or not hasattr(obj, "weights"):
        return None
    try:
        return whole_model.model_document(obj)
    except (NotImplementedError, TypeError, ValueError):
        return None  # a class without a config still loads, as a graph


def _variable_arrays(obj, concretes, include_optimizer: bool):
    entries = structure.layer_entries(obj, "model/") if hasattr(obj, "_own_variables") else []
    optimizer = getattr(obj, "optimizer", None)
    if include_optimizer and optimizer is not None:
        entries += structure.optimizer_entries(optimizer)
    by_id = {id(e.variable): e.key for e in entries}
    arrays = structure.as_arrays(entries)
    captures = {}
    for concrete in concretes.values():
        for key, variable in concrete.graph.captures.items():
            if id(variable) not in by_id:
                by_id[id(variable)] = f"captures/{len(by_id)}"
                arrays[by_id[id(variable)]] = np.array(variable.numpy())
            captures[key] = {"key": by_id[id(variable)], "trainable": variable.trainable}
    return arrays, captures


# -- loading -------------------------------------------------------------------------------------
def read(export_dir) -> tuple[dict, dict]:
    """The document and variable arrays of a SavedModel directory."""
    export_dir = os.fspath(export_dir)
    path = os.path.join(export_dir, GRAPH_FILE)
    if not os.path.isdir(export_dir):
        raise FileNotFoundError(f"No SavedModel directory at {export_dir!r}")
    with reading(path, _WHAT):
        with open(path, "rb") as handle:
            document = json.loads(handle.read().decode("utf-8"))
        require(isinstance(document, dict) and document.get("format") == FORMAT, path, _WHAT,
                f"{GRAPH_FILE} does not name the format {FORMAT!r}")
    arrays, _ = bundle.read(_variables_prefix(export_dir))
    return document, arrays


def load(export_dir, jit_compile: bool | None = None) -> LoadedModel:
    """The SavedModel at `export_dir` as a callable object (no Python class needed)."""
    document, arrays = read(export_dir)
    path = os.path.join(os.fspath(export_dir), GRAPH_FILE)
    variables = {}
    with context.eager_scope():
        for key, info in document["captures"].items():
            require(info["key"] in arrays, path, _WHAT,
                    f"variable {info['key']!r} is missing from the variables checkpoint")
            variables[key] = Variable(arrays[info["key"]], trainable=info["trainable"],
                                      name=key.split(":")[0])
    renamed = {key: v.name for key, v in variables.items()}
    signatures = {}
    for name, sig in document["signatures"].items():
        with reading(path, _WHAT):
            graph_doc = _renamed_graph(sig["graph"], renamed)
            graph = serialize.from_json(json.dumps(graph_doc),
                                        {v.name: v for v in variables.values()})
        signatures[name] = ServingFunction(name, graph, sig, jit_compile)
    return LoadedModel(signatures, list(variables.values()), document.get("keras"))


def _renamed_graph(graph: dict, renamed: dict) -> dict:
    """`graph` (a dict from graph_to_dict) with variable keys mapped to the new variables'."""
    graph = dict(graph)
    graph["captures"] = {renamed.get(k, k): v for k, v in graph["captures"].items()}
    nx_doc = dict(graph["nx"])
    nx_doc["nodes"] = [_renamed_node(node, renamed) for node in nx_doc["nodes"]]
    graph["nx"] = nx_doc
    return graph


def _renamed_node(node: dict, renamed: dict) -> dict:
    node = dict(node)
    pairs = []
    for key, value in node["attrs"]["map"]:
        if key == "var" and node["op"] in STATE_OPS:
            value = renamed.get(value, value)
        elif isinstance(value, dict) and "graph" in value:
            value = {"graph": _renamed_graph(value["graph"], renamed)}
        pairs.append([key, value])
    node["attrs"] = {"map": pairs}
    return node


class ServingFunction:
    """One loaded signature: checks its inputs, runs the graph, returns the outputs."""

    def __init__(self, name: str, graph, document: dict, jit_compile: bool | None):
        self.name, self.graph = name, graph
        self.input_specs = [TensorSpec(tuple(s["shape"]), s["dtype"]) for s in document["inputs"]]
        self._structure = document["structure"]
        self._jit_compile = jit_compile
        self._run = None

    def __call__(self, *args):
        flat = nest.flatten(args[0] if len(args) == 1 else list(args))
        if len(flat) != len(self.input_specs):
            raise ValueError(f"SavedModel signature {self.name!r} takes {len(self.input_specs)} "
                             f"input(s), received {len(flat)}")
        arrays = [self._convert(i, spec, x) for i, (spec, x) in
                  enumerate(zip(self.input_specs, flat))]
        if self._run is None:
            self._run = build_executable(self.graph, self._jit_compile)
        outputs = iter(convert_to_tensor(a) for a in self._run(arrays))
        return _decode_structure(self._structure, outputs)

    def _convert(self, index: int, spec: TensorSpec, value) -> np.ndarray:
        tensor = value if isinstance(value, Tensor) else convert_to_tensor(np.asarray(value))
        if tensor.dtype != spec.dtype and tensor.dtype.is_floating and spec.dtype.is_floating:
            tensor = convert_to_tensor(np.asarray(tensor.numpy(), spec.dtype.np_dtype))
        if not spec.is_compatible_with(tensor):
            raise ValueError(f"SavedModel signature {self.name!r}: input {index} must be "
                             f"{spec.dtype.name} with shape {spec.shape}, received "
                             f"{tensor.dtype.name} with shape {tuple(tensor.shape)}")
        return np.ascontiguousarray(tensor.numpy())


def _decode_structure(value, outputs):
    if isinstance(value, dict) and "dict" in value:
        return {k: _decode_structure(v, outputs) for k, v in value["dict"].items()}
    if isinstance(value, dict) and "list" in value:
        return [_decode_structure(v, outputs) for v in value["list"]]
    return next(outputs) if value == 0 else None


class LoadedModel:
    """A loaded SavedModel: `signatures`, `serve(x)`, `model(x)`, `predict(x)`, `variables`."""

    def __init__(self, signatures: dict, variables: list, keras_document: dict | None):
        self.signatures = signatures
        self.variables = variables
        self.trainable_variables = [v for v in variables if v.trainable]
        self.keras_document = keras_document

    def serve(self, *args):
        """Run the serving signature."""
        if SERVING not in self.signatures:
            raise ValueError(f"This SavedModel has no {SERVING!r} signature; it has "
                             f"{sorted(self.signatures)}")
        return self.signatures[SERVING](*args)

    def __call__(self, inputs, training=None, **kwargs):
        if training:
            raise ValueError("A model loaded from a SavedModel graph runs in inference mode only "
                             "(training=True needs the Python class)")
        return self.serve(inputs)

    def predict(self, x, batch_size: int | None = None, verbose="auto", **kwargs):
        """The outputs for `x` as NumPy arrays, computed in batches of `batch_size`."""
        flat = nest.flatten(x)
        count = len(np.asarray(flat[0]))
        size = batch_size or 32
        parts = []
        for start in range(0, count, size):
            window = slice(start, start + size)
            batch = nest.map_structure(lambda a, w=window: np.asarray(a)[w], x)
            parts.append(nest.map_structure(lambda t: np.asarray(t), self(batch)))
        if not parts:
            raise ValueError("predict: the input has no samples")
        return nest.map_structure(lambda *p: np.concatenate(p, axis=0), *parts)

    def __repr__(self) -> str:
        return f"<LoadedModel signatures={sorted(self.signatures)}>"


def load_keras_model(export_dir, custom_objects=None, compile: bool = True,
                     safe_mode: bool = True):
    """A Keras model when its classes are known here, else the graph as a `LoadedModel`."""
    document, arrays = read(export_dir)
    keras = document.get("keras")
    if keras is not None:
        try:
            return _revive_keras(keras, arrays, export_dir, custom_objects, compile, safe_mode)
        except _UnknownClass:
            pass
    return load(export_dir)


class _UnknownClass(Exception):
    pass


def _revive_keras(keras, arrays, export_dir, custom_objects, compile, safe_mode):
    from fuseflow.keras_api.layers.serialization import get_class

    try:
        get_class(keras["class_name"], custom_objects)
    except ValueError:
        raise _UnknownClass from None

    def part(prefix):
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    return whole_model.revive(keras, part("model/"), part("optimizer/"), export_dir,
                              custom_objects, compile, safe_mode)
