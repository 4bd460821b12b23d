"""Replay a graph op by op through `bind` in the current context.

Inside a trace this inlines a graph (nested `function` calls); eagerly under a GradientTape it
runs the graph so the tape records every op (and variable read) for differentiation.
"""

from __future__ import annotations

from fuseflow.core import context
from fuseflow.core.context import bind
from fuseflow.core.tensor import Tensor, convert_to_tensor, wrap
from fuseflow.graph.graph import Graph

_WRITES = ("assign", "assign_add", "assign_sub")


def replay(graph: Graph, inputs: list, skip_writes: bool = False) -> list[Tensor]:
    """The tensors of `graph.outputs` computed from `inputs` (one per placeholder).

    With `skip_writes`, variable writes are left out (gradients of a branch replay the
    branch's arithmetic without repeating its side effects).
    """
    if len(inputs) != len(graph.placeholders):
        raise TypeError(f"graph {graph.name} takes {len(graph.placeholders)} inputs, "
                        f"got {len(inputs)}")
    values: dict[int, tuple] = {p: (convert_to_tensor(t),) for p, t in
                                zip(graph.placeholders, inputs)}
    for node in graph.topo_order():
        if node not in values:
            values[node] = _run_node(graph, node, values, skip_writes)
    return [values[n][i] for n, i in graph.outputs]


def _run_node(graph: Graph, node: int, values: dict, skip_writes: bool) -> tuple:
    op = graph.op(node)
    attrs = graph.attrs(node)
    args = [values[p][i] for p, i in graph.input_edges(node)]
    if op == "constant":
        return (wrap(graph.constant_value(node)),)
    if op == "read_variable":
        return (context.read_variable(graph.captures[attrs["var"]]),)
    if op in _WRITES:
        if not skip_writes:
            context.assign_variable(graph.captures[attrs["var"]], args[0], op)
        return ()
    out = bind(op, *args, name=graph.node_name(node), **attrs)
    return out if type(out) is tuple else (out,)
