"""Weights addressed by the structure of the model, not by names.

Layer names differ between two instances of one architecture (`dense` vs `dense_3`), so a
weight's key is its path through the layer tree: `layer_with_weights-1/vars/0` is the first
variable of the second sublayer that has weights. Layers without weights take no index, so
adding a Dropout does not shift the keys.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from fuseflow.core.variable import Variable


@dataclass(frozen=True)
class Entry:
    """One saved value: its structural key, the live Variable and who owns it."""

    key: str
    variable: Variable
    owner: str  # the layer's name, or "optimizer"/the checkpoint attribute

    def value(self) -> np.ndarray:
        return np.array(self.variable.numpy())


def layer_entries(layer, prefix: str = "") -> list[Entry]:
    """Every variable of `layer` and its sublayers, keyed by structure (each once)."""
    out: list[Entry] = []
    _walk(layer, prefix, out, set())
    return out


def _walk(layer, prefix: str, out: list[Entry], seen: set[int]) -> None:
    for j, variable in enumerate(layer._own_variables()):
        if id(variable) not in seen:
            seen.add(id(variable))
            out.append(Entry(f"{prefix}vars/{j}", variable, layer.name))
    index = 0
    for child in layer._children():
        if not child.weights:
            continue
        _walk(child, f"{prefix}layer_with_weights-{index}/", out, seen)
        index += 1


def optimizer_entries(optimizer, prefix: str = "optimizer/") -> list[Entry]:
    """The optimizer's variables (iterations, learning rate, slots) in their order."""
    return [Entry(f"{prefix}vars/{i}", v, "optimizer") for i, v in enumerate(optimizer.variables)]


def as_arrays(entries: list[Entry]) -> dict[str, np.ndarray]:
    return {entry.key: entry.value() for entry in entries}


def _shape(value) -> tuple:
    return tuple(np.shape(value))


def check_built(model, values: dict, path) -> None:
    """A model without variables cannot take saved weights: say how to create them."""
    if values and not model.weights:
        kind = "subclassed Model" if not getattr(model, "_is_graph_network", True) else "model"
        raise ValueError(
            f"Unable to load weights from {os.fspath(path)!r} into {kind} {model.name!r}, which "
            "has not created its variables yet. Call the model on a batch of data (or "
            "`model.build(input_shape)`) first, then load the weights.")


def assign(entries: list[Entry], values: dict, path, *, target: str,
           skip_mismatch: bool = False) -> None:
    """Assign `values` (key -> array) to `entries`, checking keys and shapes first."""
    by_key = {entry.key: entry for entry in entries}
    missing = [k for k in by_key if k not in values]
    unexpected = [k for k in values if k not in by_key]
    if (missing or unexpected) and not skip_mismatch:
        raise ValueError(_structure_message(entries, values, missing, unexpected, path, target))
    for key, entry in by_key.items():
        if key not in values:
            continue
        value = values[key]
        if _shape(value) != tuple(entry.variable.shape):
            if skip_mismatch:
                continue
            raise ValueError(
                f"Cannot load {os.fspath(path)!r} into {target}: layer {entry.owner!r} weight "
                f"{entry.variable.name!r} (key {key!r}) has shape "
                f"{tuple(entry.variable.shape)} in the model but {_shape(value)} in the file.")
    for key, entry in by_key.items():
        value = values.get(key)
        if value is not None and _shape(value) == tuple(entry.variable.shape):
            entry.variable.assign(np.asarray(value).astype(entry.variable.dtype.np_dtype))


def _structure_message(entries, values, missing, unexpected, path, target) -> str:
    text = (f"Cannot load {os.fspath(path)!r} into {target}: the architecture does not match "
            f"(the model has {len(entries)} weights, the file has {len(values)}).")
    if missing:
        entry = next(e for e in entries if e.key == missing[0])
        text += (f" Layer {entry.owner!r} weight {entry.variable.name!r} with shape "
                 f"{tuple(entry.variable.shape)} (key {entry.key!r}) is not in the file")
        text += f" ({len(missing)} missing in all)." if len(missing) > 1 else "."
    if unexpected:
        key = sorted(unexpected)[0]
        text += (f" The file has {key!r} with shape {_shape(values[key])}, which the model "
                 f"lacks ({len(unexpected)} unexpected in all).")
    return text
