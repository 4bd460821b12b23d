"""verify_graph: structural checks a graph must pass after every pass."""

from __future__ import annotations

import networkx as nx

from fuseflow.core.registry import REGISTRY
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.graph.graph import CONTROL, Graph

_NODE_KEYS = ("op", "attrs", "dtype", "shape", "spec", "name", "source")
_STATE = ("read_variable", "assign", "assign_add", "assign_sub")


class GraphError(ValueError):
    """A graph breaks a structural rule."""


def verify_graph(graph: Graph, check_specs: bool = True) -> None:
    """Raise GraphError unless `graph` is well formed.

    Checks: acyclic; known ops; complete node data; input slots 0..k-1 each once; producer
    output indices in range; placeholders, constants, outputs and variable keys consistent;
    with `check_specs`, each node's spec agrees with its op's inference on its input specs.
    """
    if not nx.is_directed_acyclic_graph(graph.nx):
        raise GraphError(f"graph {graph.name} has a cycle")
    for node in graph.nodes():
        _check_node(graph, node, check_specs)
    for node in graph.placeholders:
        if node not in graph or graph.op(node) != "placeholder":
            raise GraphError(f"placeholder %{node} is missing or not a placeholder")
    placeholders = {n for n in graph.nodes() if graph.op(n) == "placeholder"}
    if placeholders != set(graph.placeholders):
        raise GraphError(f"placeholder nodes {sorted(placeholders)} != graph.placeholders "
                         f"{graph.placeholders}")
    for node, index in graph.outputs:
        if node not in graph or not 0 <= index < graph.num_outputs(node):
            raise GraphError(f"output %{node}.{index} does not exist")


def _check_node(graph: Graph, node: int, check_specs: bool) -> None:
    data = graph.nx.nodes[node]
    missing = [k for k in _NODE_KEYS if k not in data]
    if missing:
        raise GraphError(f"node %{node} lacks {missing}")
    op = data["op"]
    if op not in REGISTRY:
        raise GraphError(f"node %{node} has unknown op {op!r}")
    edges = graph.input_edges(node)
    slots = sorted(d["slot"] for _, _, k, d in graph.nx.in_edges(node, keys=True, data=True)
                   if k != CONTROL)
    if slots != list(range(len(slots))):
        raise GraphError(f"node %{node} ({op}) has input slots {slots}, expected 0..{len(slots)-1}")
    for producer, index in edges:
        if not 0 <= index < graph.num_outputs(producer):
            raise GraphError(f"node %{node} ({op}) reads output {index} of %{producer}, which "
                             f"has {graph.num_outputs(producer)}")
    if op == "constant":
        _check_constant(graph, node)
    elif op in _STATE and data["attrs"].get("var") not in graph.captures:
        raise GraphError(f"node %{node} ({op}) names variable {data['attrs'].get('var')!r} "
                         f"missing from graph.captures")
    elif check_specs and op != "placeholder":
        _check_spec(graph, node, edges)


def _check_constant(graph: Graph, node: int) -> None:
    try:
        value = graph.constant_value(node)
    except KeyError:
        raise GraphError(f"constant %{node} has no payload") from None
    spec = graph.spec(node)
    if tuple(value.shape) != spec.shape or value.dtype != spec.dtype.np_dtype:
        raise GraphError(f"constant %{node}: payload {value.dtype}{list(value.shape)} does not "
                         f"match its spec {spec.short()}")


def _check_spec(graph: Graph, node: int, edges) -> None:
    opdef = REGISTRY[graph.op(node)]
    if opdef.infer is None:
        return
    specs = [graph.output_spec(p, i) for p, i in edges]
    try:
        inferred = opdef.infer(*specs, **graph.attrs(node))
    except Exception as error:
        raise GraphError(f"node %{node} ({graph.op(node)}): inference fails on its inputs: "
                         f"{error}") from None
    recorded = graph.spec(node)
    if not _compatible(inferred, recorded):
        raise GraphError(f"node %{node} ({graph.op(node)}): recorded spec {recorded} disagrees "
                         f"with inference {inferred}")


def _compatible(a, b) -> bool:
    if isinstance(a, TensorSpec) != isinstance(b, TensorSpec):
        return False
    if isinstance(a, TensorSpec):
        return a.dtype == b.dtype and TensorShape(a.shape).is_compatible_with(b.shape)
    return len(a) == len(b) and all(_compatible(x, y) for x, y in zip(a, b))
