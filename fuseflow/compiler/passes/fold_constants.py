"""fold_constants: evaluate pure nodes whose inputs are all constants, at compile time."""

from __future__ import annotations

import numpy as np

from fuseflow.core.registry import REGISTRY
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

# Folding fill((4096, 4096)) would embed 64 MB in every plan and in the kernel cache key.
MAX_FOLDED_ELEMENTS = 4096


def foldable(graph: Graph, node: int) -> bool:
    """True for a small, single-output, pure node all of whose inputs are constants."""
    opdef = REGISTRY[graph.op(node)]
    if not (opdef.pure and opdef.foldable):
        return False
    spec = graph.spec(node)
    if not isinstance(spec, TensorSpec) or spec.num_elements is None:
        return False
    if spec.num_elements > MAX_FOLDED_ELEMENTS:
        return False
    return all(graph.op(p) == "constant" for p in graph.inputs(node))


def evaluate(graph: Graph, node: int) -> np.ndarray | None:
    """The node's value from its constant inputs, or None when it cannot be folded safely."""
    opdef = REGISTRY[graph.op(node)]
    args = [graph.constant_value(p) for p in graph.inputs(node)]
    try:
        # Warnings (1/0, log(-1)) are part of the value, as at run time; an error is left
        # for run time too, where it is reported with the user's line.
        with np.errstate(all="ignore"):
            value = np.asarray(opdef.impl(*args, **graph.attrs(node)))
    except Exception:  # noqa: BLE001
        return None
    spec = graph.spec(node)
    if value.shape != spec.shape or value.dtype != spec.dtype.np_dtype:
        return None  # an impl that disagrees with infer is not ours to paper over
    return value


def fold_constants(graph: Graph) -> Graph:
    """Replace each small pure node whose inputs are all constants by a constant."""
    out = graph.copy()
    for node in out.topo_order():
        if not foldable(out, node):
            continue
        value = evaluate(out, node)
        if value is not None:
            out.replace_with_constant(node, value)  # inputs left unused are DCE's job
    return out
