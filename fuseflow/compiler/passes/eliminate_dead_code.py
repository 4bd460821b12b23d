"""eliminate_dead_code: drop nodes that feed no output and have no side effect."""

from __future__ import annotations

from fuseflow.graph.graph import Graph


def eliminate_dead_code(graph: Graph) -> Graph:
    """Remove every node that no output or side effect needs."""
    out = graph.copy()
    live = out.live_nodes()
    for node in reversed(out.topo_order()):
        if node not in live:
            out.remove_node(node)
    return out
