"""eliminate_dead_code: drop nodes that feed no output and have no side effect."""

from __future__ import annotations

from fuseflow.core.registry import REGISTRY
from fuseflow.graph.graph import Graph


def live_nodes(graph: Graph) -> set[int]:
    """Nodes an output, an impure node or a placeholder depends on (data or control)."""
    roots = {n for n, _ in graph.outputs} | set(graph.placeholders)
    roots |= {n for n in graph.nodes() if not REGISTRY[graph.op(n)].pure}
    live, stack = set(roots), list(roots)
    while stack:
        for producer in graph.nx.predecessors(stack.pop()):
            if producer not in live:
                live.add(producer)
                stack.append(producer)
    return live


def eliminate_dead_code(graph: Graph) -> Graph:
    """Remove every node that no output or side effect needs."""
    out = graph.copy()
    live = live_nodes(out)
    for node in reversed(out.topo_order()):
        if node not in live:
            out.remove_node(node)
    return out
