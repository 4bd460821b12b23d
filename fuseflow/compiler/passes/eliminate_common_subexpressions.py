"""eliminate_common_subexpressions: one node for each pure (op, attrs, inputs) computation."""

from __future__ import annotations

from fuseflow.compiler.passes.fold_constants import MAX_FOLDED_ELEMENTS
from fuseflow.core.registry import REGISTRY
from fuseflow.graph.graph import Graph


def node_key(graph: Graph, node: int) -> tuple | None:
    """What decides a node's value, or None when two such nodes must both stay."""
    op = graph.op(node)
    if op == "constant":
        value = graph.constant_value(node)
        if value.size > MAX_FOLDED_ELEMENTS:
            return None  # comparing large payloads costs more than the duplicate
        # bytes, not ==: -0.0 and 0.0 differ, and NaN payloads must still match themselves
        return op, value.dtype.str, value.shape, value.tobytes()
    if not REGISTRY[op].pure or op == "placeholder":
        return None
    return (op, graph.attrs(node), tuple(graph.input_edges(node)),
            tuple(graph.control_inputs(node)), _spec_key(graph.spec(node)))


def _spec_key(spec) -> tuple:
    specs = (spec,) if not isinstance(spec, tuple) else spec
    return tuple((s.shape, s.dtype) for s in specs)


def eliminate_common_subexpressions(graph: Graph) -> Graph:
    """Make every reader of a repeated pure computation read its first occurrence."""
    out = graph.copy()
    seen: dict[tuple, int] = {}
    # Topological order: a node's inputs are already canonical when its key is taken.
    for node in out.topo_order():
        key = node_key(out, node)
        if key is None:
            continue
        first = seen.setdefault(key, node)
        if first != node:
            out.replace_all_uses(node, first)
            out.remove_node(node)
    return out
