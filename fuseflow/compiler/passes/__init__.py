"""Graph -> Graph passes and the pipeline that runs them."""

from __future__ import annotations

from collections.abc import Callable

from fuseflow.compiler.passes.eliminate_dead_code import eliminate_dead_code
from fuseflow.compiler.passes.fuse import fuse
from fuseflow.graph.graph import Graph

Pass = Callable[[Graph], Graph]

DEFAULT_PIPELINE: tuple[Pass, ...] = (eliminate_dead_code, fuse, eliminate_dead_code)


def run_pipeline(graph: Graph, passes=DEFAULT_PIPELINE, *, verify: bool = True,
                 trace: list | None = None) -> Graph:
    """Run `passes` in order; verify the graph after each; append (pass, graph) to `trace`."""
    from fuseflow.graph.verify import verify_graph

    for step in passes:
        graph = step(graph)
        if verify:
            verify_graph(graph, check_specs=False)
        if trace is not None:
            trace.append((getattr(step, "__name__", str(step)), graph))
    return graph
