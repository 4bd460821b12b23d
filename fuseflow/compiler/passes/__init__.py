"""Graph -> Graph passes and the pipeline that runs them."""

from __future__ import annotations

from collections.abc import Callable

from fuseflow.compiler.passes.eliminate_common_subexpressions import (
    eliminate_common_subexpressions,
)
from fuseflow.compiler.passes.eliminate_dead_code import eliminate_dead_code
from fuseflow.compiler.passes.fold_constants import fold_constants
from fuseflow.compiler.passes.fuse import fuse
from fuseflow.compiler.passes.simplify_algebra import simplify_algebra
from fuseflow.graph.graph import Graph

Pass = Callable[[Graph], Graph]

# Algebra first (it exposes constants and duplicates), then folding and CSE; DCE cleans up
# before fusion so no dead node joins a group, and again after it.
DEFAULT_PIPELINE: tuple[Pass, ...] = (
    simplify_algebra, fold_constants, eliminate_common_subexpressions, eliminate_dead_code,
    fuse, eliminate_dead_code)


def run_pipeline(graph: Graph, passes=DEFAULT_PIPELINE, *, verify: bool = True,
                 trace: list | None = None) -> Graph:
    """Run `passes` in order; verify the graph after each; append (pass, graph) to `trace`.

    `passes=None` or the default pipeline itself honour `fuseflow.config.optimizer` options;
    an explicit tuple runs as given.
    """
    from fuseflow.graph.verify import verify_graph

    if passes is None or passes is DEFAULT_PIPELINE:
        passes = default_passes()
    for step in passes:
        graph = step(graph)
        if verify:
            verify_graph(graph, check_specs=False)
        if trace is not None:
            trace.append((getattr(step, "__name__", str(step)), graph))
    return graph


def default_passes() -> tuple[Pass, ...]:
    """DEFAULT_PIPELINE without the passes `fuseflow.config.optimizer` options turn off."""
    from fuseflow.compiler.options import configured

    return configured(DEFAULT_PIPELINE)


__all__ = ["DEFAULT_PIPELINE", "Pass", "default_passes", "eliminate_common_subexpressions",
           "eliminate_dead_code", "fold_constants", "fuse", "run_pipeline", "simplify_algebra"]
