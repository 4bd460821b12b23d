"""The compiler: graph passes, lowering to LLVM IR, and the JIT-compiled executable."""

from __future__ import annotations

from fuseflow.compiler import fused as _fused  # registers the `fused` op
from fuseflow.compiler.explain import explain
from fuseflow.compiler.passes import DEFAULT_PIPELINE, run_pipeline


def compile_graph(graph, passes=DEFAULT_PIPELINE, *, use_disk_cache: bool = True):
    """Optimize `graph` with `passes` and return its native executable.

    The executable is called with a list of arrays (one per placeholder) and returns a list of
    arrays (one per output); plans are compiled per distinct input shapes, on first use.
    """
    from fuseflow.compiler.executable import CompiledGraph

    optimized = run_pipeline(graph, passes, cache=None if use_disk_cache else False)
    return CompiledGraph(graph, optimized, use_disk_cache=use_disk_cache)


__all__ = ["DEFAULT_PIPELINE", "compile_graph", "explain", "run_pipeline", "_fused"]
