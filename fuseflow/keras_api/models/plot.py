"""`plot_model` / `model_to_dot`: the layer graph as Graphviz dot text (and an image if `dot`
is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess

from fuseflow.core import nest


def _label(layer, show_shapes: bool, show_dtype: bool, show_layer_names: bool) -> str:
    name = f"{layer.name}: {type(layer).__name__}" if show_layer_names \
        else type(layer).__name__
    parts = [name]
    if show_dtype:
        parts.append(str(layer.dtype))
    if show_shapes:
        def shape_text(fn):
            try:
                return str(fn())
            except AttributeError:
                return "multiple"

        inputs = shape_text(lambda: layer.input_shape)
        outputs = shape_text(lambda: layer.output_shape)
        return f"{' | '.join(parts)}|{{input:|output:}}|{{{{{inputs}}}|{{{outputs}}}}}"
    return " | ".join(parts)


def model_to_dot(model, show_shapes: bool = False, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB", dpi: int = 96,
                 **kwargs) -> str:
    """Dot text with one record node per layer and an edge per connection."""
    lines = ["digraph G {", f'  graph [rankdir={rankdir}, dpi={dpi}];',
             '  node [shape=record];']
    layers = model.layers
    if type(model).__name__ == "Sequential" and model._stack:
        layers = model._stack
    ids = {id(layer): f"n{i}" for i, layer in enumerate(layers)}
    for layer in layers:
        label = _label(layer, show_shapes, show_dtype, show_layer_names).replace('"', '\\"')
        label = label.replace("<", "\\<").replace(">", "\\>")
        lines.append(f'  {ids[id(layer)]} [label="{label}"];')
    node_ids = getattr(getattr(model, "_network", None), "node_ids", None)
    for layer in layers:
        for node in layer._inbound_nodes:
            if node_ids is not None and id(node) not in node_ids:
                continue
            for inbound in nest.flatten([t._keras_history[0] for t in node.keras_inputs]):
                if id(inbound) in ids:
                    lines.append(f"  {ids[id(inbound)]} -> {ids[id(layer)]};")
    if node_ids is None:  # a subclassed model: show the layers in order
        for a, b in zip(layers, layers[1:]):
            lines.append(f"  {ids[id(a)]} -> {ids[id(b)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model, to_file: str = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 96, **kwargs) -> str:
    """Write the model graph to `to_file` and return the dot text.

    A `.dot` file gets the text; other extensions (`.png`, `.svg`, `.pdf`) are rendered with
    Graphviz's `dot` program when it is installed, otherwise the text is written next to it as
    `<name>.dot` and a message says so.
    """
    text = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                        show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi)
    root, ext = os.path.splitext(to_file)
    fmt = ext.lstrip(".").lower() or "png"
    if fmt == "dot":
        with open(to_file, "w") as f:
            f.write(text)
        return text
    dot = shutil.which("dot")
    if dot is None:
        with open(root + ".dot", "w") as f:
            f.write(text)
        print(f"plot_model: Graphviz `dot` is not installed; wrote the graph as text to "
              f"{root}.dot")
        return text
    subprocess.run([dot, f"-T{fmt}", "-o", to_file], input=text.encode(), check=True)
    return text
