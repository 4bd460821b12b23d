"""fuse: collapse maximal groups of elementwise ops into single `fused` nodes.

Groups grow from a consumer back into its producers: a producer joins when it has the same
shape and every one of its readers is already in the group, so the group's only result is its
root and no value leaves the kernel to come back in (which could make a cycle).
"""

from __future__ import annotations

from fuseflow.compiler.fused import fused_name
from fuseflow.compiler.lowering.check import lowers
from fuseflow.core.registry import REGISTRY, OpKind
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph


def fusible(graph: Graph, node: int) -> bool:
    """True for an elementwise node with a native lowering and no control edges."""
    op = graph.op(node)
    if op == "fused" or REGISTRY[op].kind is not OpKind.ELEMENTWISE:
        return False
    spec = graph.spec(node)
    if not isinstance(spec, TensorSpec):
        return False
    if graph.control_inputs(node) or graph.control_users(node):
        return False
    in_dtypes = tuple(graph.output_spec(p, i).dtype.np_dtype for p, i in graph.input_edges(node))
    attrs = tuple(sorted(graph.attrs(node).items()))
    return lowers(op, attrs, in_dtypes, spec.dtype.np_dtype)


def _same_runtime_shape(graph: Graph, producer: int, node: int) -> bool:
    """Whether `producer`'s value has `node`'s shape on every call, unknown dims included.

    An unknown dim (None, e.g. the batch) of the output is the producer's own when no other
    input of `node` has that axis or has it as a known 1; otherwise broadcasting could
    stretch the producer at run time, and the kernel would index it wrongly.
    """
    shape = graph.spec(node).shape
    if graph.spec(producer).shape != shape:
        return False
    unknown = [axis for axis, dim in enumerate(shape) if dim is None]
    for other, index in graph.input_edges(node):
        if other == producer or not unknown:
            continue
        dims = graph.output_spec(other, index).shape
        offset = len(shape) - len(dims)
        if any(axis >= offset and dims[axis - offset] != 1 for axis in unknown):
            return False
    return True


def find_groups(graph: Graph) -> list[list[int]]:
    """Groups of two or more nodes, each in topological order, root last."""
    group_of: dict[int, int] = {}
    groups: list[set[int]] = []
    outputs = {n for n, _ in graph.outputs}
    for node in reversed(graph.topo_order()):
        if not fusible(graph, node):
            continue
        if node not in group_of:
            group_of[node] = len(groups)
            groups.append({node})
        group = groups[group_of[node]]
        for producer in graph.inputs(node):
            if producer in group_of or producer in outputs or not fusible(graph, producer):
                continue
            if not _same_runtime_shape(graph, producer, node):
                continue
            if all(user in group for user in graph.users(producer)):
                group_of[producer] = group_of[node]
                group.add(producer)
    order = {n: i for i, n in enumerate(graph.topo_order())}
    return [sorted(g, key=order.__getitem__) for g in groups if len(g) > 1]


def _collapse(graph: Graph, members: list[int]) -> None:
    """Replace `members` (topological order, root last) by one `fused` node."""
    inside = set(members)
    position: dict[int, int] = {}
    inputs: list[tuple[int, int]] = []
    body = []
    for node in members:
        args = []
        for producer, index in graph.input_edges(node):
            if producer in inside:
                args.append(("b", position[producer]))
            else:
                if (producer, index) not in inputs:
                    inputs.append((producer, index))
                args.append(("i", inputs.index((producer, index))))
        position[node] = len(body)
        body.append((graph.op(node), graph.attrs(node), args))
    n_in = len(inputs)
    body = tuple((op, attrs, tuple(k if kind == "i" else n_in + k for kind, k in args))
                 for op, attrs, args in body)
    root = members[-1]
    attrs = {"body": body, "outputs": (len(body) - 1,)}
    fused = graph.add_node("fused", inputs, attrs, graph.spec(root), name=fused_name(body),
                           source=graph.source(root))
    graph.replace_all_uses(root, fused)
    for node in reversed(members):
        graph.remove_node(node)


def fuse(graph: Graph) -> Graph:
    """Collapse each maximal fusible elementwise group into one `fused` node."""
    out = graph.copy()
    for members in find_groups(out):
        _collapse(out, members)
    return out
