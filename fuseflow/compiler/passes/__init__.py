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


# Verifying the graph after every pass costs about as much as the passes themselves: the test
# suite turns it on (tests/conftest.py), a user's compile runs without it.
VERIFY_PASSES = False


def run_pipeline(graph: Graph, passes=DEFAULT_PIPELINE, *, verify: bool | None = None,
                 trace: list | None = None, cache: bool | None = None) -> Graph:
    """Run `passes` in order, verifying the graph after each; append (pass, graph) to `trace`.

    `verify=None` verifies when `VERIFY_PASSES` is set (it is in the test suite).
    `passes=None` or the default pipeline itself honour `fuseflow.config.optimizer` options;
    an explicit tuple runs as given. `cache`: look the result up on disk (and store it) by the
    graph's content; None means "when the configured default pipeline runs untraced".
    """
    if verify is None:
        verify = VERIFY_PASSES
    default = passes is None or passes is DEFAULT_PIPELINE
    if default:
        passes = default_passes()
    if cache is None:
        cache = default and trace is None and bool(passes)
    key = None
    if cache:
        from fuseflow.compiler.passes import pipeline_cache

        cache = pipeline_cache.cacheable(graph)
    if cache:
        key = pipeline_cache.pipeline_key(graph, passes, verify)
        stored = pipeline_cache.load(key, graph)
        if stored is not None:
            return stored
    graph = _run_passes(graph, passes, verify, trace)
    if key is not None:
        pipeline_cache.store(key, graph)
    return graph


def _run_passes(graph: Graph, passes: tuple, verify: bool, trace: list | None) -> Graph:
    from fuseflow.graph.verify import verify_graph

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
