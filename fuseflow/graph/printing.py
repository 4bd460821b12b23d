"""Graph text (jaxpr-like), summaries and Graphviz dot."""

from __future__ import annotations

from collections import Counter

import numpy as np

from fuseflow.core.dtypes import DType
from fuseflow.core.registry import REGISTRY
from fuseflow.core.shape import TensorSpec, short_dtype

_SMALL_CONSTANT = 8  # constants with at most this many elements print their value


def value_ref(graph, node: int, index: int = 0) -> str:
    """`%3`, or `%3.1` for output 1 of a multi-output node."""
    return f"%{node}.{index}" if graph.is_multi_output(node) else f"%{node}"


def spec_text(spec) -> str:
    if isinstance(spec, TensorSpec):
        return spec.short()
    return "(" + ", ".join(s.short() for s in spec) + ")"


def attr_text(value) -> str:
    if isinstance(value, DType):
        return short_dtype(value)
    if isinstance(value, TensorSpec):
        return value.short()
    if hasattr(value, "placeholders") and hasattr(value, "nx"):
        return f"{{{value.name}}}"
    if callable(value):
        return getattr(value, "__qualname__", type(value).__name__)
    if isinstance(value, tuple):
        return "(" + ",".join(attr_text(v) for v in value) + ")"
    if isinstance(value, str):
        return repr(value) if not value.isidentifier() and "/" not in value else value
    return str(value)


def _attrs_text(graph, node: int) -> str:
    parts = [f"{k}={attr_text(v)}" for k, v in graph.attrs(node).items()]
    if graph.op(node) == "constant":
        value = graph.constant_value(node)
        if value.ndim == 0:
            parts.append(f"value={value.item()!r}")
        elif value.size <= _SMALL_CONSTANT:
            parts.append("value=" + np.array2string(value, separator=",").replace("\n", ""))
    return "[" + ", ".join(parts) + "]" if parts else ""


def node_text(graph, node: int, source: bool = False) -> str:
    """One line: `%3 = matmul(%0, %2) : f32[?,128]`."""
    args = ", ".join(value_ref(graph, p, i) for p, i in graph.input_edges(node))
    text = f"{graph.op(node)}{_attrs_text(graph, node)}"
    if args or graph.op(node) not in ("constant", "read_variable"):
        text += f"({args})"
    controls = graph.control_inputs(node)
    if controls:
        text += " after " + ", ".join(f"%{c}" for c in controls)
    line = f"%{node} = {text} : {spec_text(graph.spec(node))}"
    if source and graph.source(node):
        line = f"{line:<60}  # {graph.source(node)}"
    return line


def graph_text(graph, source: bool = False, indent: str = "") -> str:
    """The whole graph, one node per line; subgraphs of control flow printed below."""
    params = ", ".join(f"%{p}: {graph.spec(p).short()}" for p in graph.placeholders)
    lines = [f"{indent}graph {graph.name}({params}) {{"]
    subgraphs = []
    for node in graph.topo_order():
        if graph.op(node) == "placeholder":
            continue
        lines.append(f"{indent}  {node_text(graph, node, source)}")
        subgraphs += [v for v in graph.attrs(node).values() if hasattr(v, "placeholders")]
    outs = ", ".join(value_ref(graph, n, i) for n, i in graph.outputs)
    lines.append(f"{indent}  return {outs}" if outs else f"{indent}  return")
    lines.append(f"{indent}}}")
    for sub in subgraphs:
        lines.append(graph_text(sub, source, indent + "  "))
    return "\n".join(lines)


def summary(graph) -> str:
    """Counts of nodes per kind and per op, e.g. `elementwise 12 (add 5, mul 4, ...)`."""
    by_kind: dict[str, Counter] = {}
    for node in graph.nodes():
        op = graph.op(node)
        kind = "graph" if op in ("placeholder", "constant") else REGISTRY[op].kind.value
        by_kind.setdefault(kind, Counter())[op] += 1
    lines = [f"graph {graph.name}: {len(graph)} nodes, {len(graph.placeholders)} inputs, "
             f"{len(graph.outputs)} outputs, {len(graph.captures)} variables"]
    for kind in sorted(by_kind):
        ops = by_kind[kind]
        detail = ", ".join(f"{op} {n}" for op, n in sorted(ops.items()))
        lines.append(f"  {kind:<12} {sum(ops.values()):>4}  ({detail})")
    return "\n".join(lines)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(graph) -> str:
    """Graphviz dot text: one box per node labelled with its op and type."""
    lines = [f'digraph "{_dot_escape(graph.name)}" {{', "  rankdir=TB;",
             "  node [shape=box, fontname=monospace];"]
    for node in graph.topo_order():
        head = _dot_escape(f"%{node} {graph.op(node)}{_attrs_text(graph, node)}")
        label = f"{head}\\n{_dot_escape(spec_text(graph.spec(node)))}"
        shape = ", shape=ellipse" if graph.op(node) == "placeholder" else ""
        lines.append(f'  n{node} [label="{label}"{shape}];')
    for producer, consumer, _key, data in sorted(graph.nx.edges(keys=True, data=True),
                                                key=lambda e: (e[0], e[1], str(e[2]))):
        if data.get("control"):
            lines.append(f"  n{producer} -> n{consumer} [style=dashed];")
        else:
            lines.append(f'  n{producer} -> n{consumer} [label="{data["slot"]}"];')
    for i, (node, _) in enumerate(graph.outputs):
        lines.append(f'  out{i} [label="return {i}", shape=plaintext];')
        lines.append(f"  n{node} -> out{i};")
    lines.append("}")
    return "\n".join(lines)
