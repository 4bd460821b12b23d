"""`model.summary()`: the tf.keras 2 plain-text table of layers, shapes and parameter counts.

Column text is cut to the column width (less two spaces between columns) and continues on the
next line; a cut prefers to fall just after `),` `},` `],` or `',` so shapes and connection
lists wrap at item boundaries, as tf.keras prints them.
"""

from __future__ import annotations

import math

from fuseflow.keras_api.layers import tracking

_BREAKS = ("),", "},", "],", "',")


def _is_sequential_like(model) -> bool:
    """True when no layer has several inputs or is used twice: no `Connected to` column."""
    if type(model).__name__ == "Sequential" or not getattr(model, "_is_graph_network", False):
        return True
    nodes = []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (depth_nodes and len(depth_nodes[0].keras_inputs) > 1):
            return False
        nodes.extend(depth_nodes)
    node_ids = {id(n) for n in nodes}
    for layer in model.layers:
        if sum(id(node) in node_ids for node in layer._inbound_nodes) > 1:
            return False
    return True


def _fit(text: str, width: int) -> int:
    """How many characters of `text` go on this line of a column `width` wide."""
    head = text[:width]
    cuts = [head.find(mark) + len(mark) for mark in _BREAKS if head.find(mark) >= 0]
    return min(cuts) if cuts else len(head)


def _rows(fields: list, positions: list[int], nested: int = 0) -> list[str]:
    """The printed lines of one table row (long fields wrap onto extra lines)."""
    left = [str(f) for f in fields]
    lines = []
    while any(left):
        line = ""
        for col, text in enumerate(left):
            start = positions[col - 1] if col else 0
            space = 2 if col != len(positions) - 1 else 0
            cut = _fit(text, positions[col] - start - space)
            if col == 0:
                line += "|" * nested + " "
            line += text[:cut] + " " * space
            left[col] = text[cut:]
            line += " " * (positions[col] - len(line) - nested)
        lines.append(line + "|" * nested)
    return lines


def _output_shape(layer):
    try:
        return layer.output_shape
    except AttributeError:
        return "multiple"


def _params(layer):
    if not layer.built and not getattr(layer, "_is_graph_network", False):
        return "0 (unused)"
    return layer.count_params()


def _connections(layer, relevant: set[int]) -> list[str]:
    out = []
    for node in layer._inbound_nodes:
        if relevant and id(node) not in relevant:
            continue
        for inbound, node_index, tensor_index, _ in node.iterate_inbound():
            out.append(f"{inbound.name}[{node_index}][{tensor_index}]")
    return out


def _count(weights) -> int:
    return int(sum(math.prod(tuple(v.shape)) for v in tracking.dedup(weights)))


def summary_lines(model, line_length: int | None = None, positions=None,
                  expand_nested: bool = False, show_trainable: bool = False) -> list[str]:
    """The lines `summary()` prints."""
    sequential = _is_sequential_like(model)
    if sequential:
        line_length = line_length or 65
        positions = list(positions or [0.45, 0.85, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #"]
        relevant: set[int] = set()
    else:
        line_length = line_length or 98
        positions = list(positions or [0.3, 0.6, 0.70, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        relevant = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes}
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if show_trainable:
        line_length += 11
        positions.append(line_length)
        header.append("Trainable")
    lines = [f'Model: "{model.name}"', "_" * line_length, *_rows(header, positions),
             "=" * line_length]

    def add_layer(layer, nested: int = 0, last: bool = False) -> None:
        fields = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer), _params(layer)]
        if not sequential:
            fields[2] = layer.count_params()
            fields.append(_connections(layer, relevant))
        if show_trainable:
            fields.append("Y" if layer.trainable else "N")
        lines.extend(_rows(fields, positions, nested))
        sublayers = getattr(layer, "layers", None) if expand_nested else None
        if sublayers:
            width = line_length - 2 * nested
            lines.append("|" * (nested + 1) + "¯" * (width - 2) + "|" * (nested + 1))
            for i, sub in enumerate(sublayers):
                add_layer(sub, nested + 1, i == len(sublayers) - 1)
            lines.append("|" * nested + "¯" * width + "|" * nested)
        if not last:
            lines.append("|" * nested + " " * (line_length - 2 * nested) + "|" * nested)

    for layer in model.layers:
        add_layer(layer)
    trainable = _count(model.trainable_weights)
    frozen = _count(model.non_trainable_weights)
    lines += ["=" * line_length, f"Total params: {trainable + frozen:,}",
              f"Trainable params: {trainable:,}", f"Non-trainable params: {frozen:,}",
              "_" * line_length]
    return lines


def print_summary(model, line_length: int | None = None, positions=None, print_fn=None,
                  expand_nested: bool = False, show_trainable: bool = False) -> None:
    """Print `summary_lines` one by one through `print_fn` (print by default)."""
    print_fn = print_fn or print
    for line in summary_lines(model, line_length, positions, expand_nested, show_trainable):
        print_fn(line)
