"""simplify_algebra: local rewrites that leave every value bit-for-bit as it was.

Rules are indexed by op. Each takes (graph, node) and returns what replaces the node: an
existing value `(node, index)`, a new node id, or None to leave it. A replacement must have
the node's exact dtype and shape; rules that would change NaN/Inf results are not here
(x * 0 is not 0, x - x is not 0 for floats, exp(log x) is not x).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fuseflow.compiler.passes.fold_constants import MAX_FOLDED_ELEMENTS
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

Rule = Callable[[Graph, int], "tuple[int, int] | int | None"]


def _constant(graph: Graph, ref: tuple[int, int]) -> np.ndarray | None:
    return graph.constant_value(ref[0]) if graph.op(ref[0]) == "constant" else None


def _is_all(graph: Graph, ref: tuple[int, int], scalar: float) -> bool:
    value = _constant(graph, ref)
    return value is not None and value.size > 0 and bool(np.all(value == scalar))


def _keeps_shape(x: TensorSpec, other: tuple) -> bool:
    """True when broadcasting `other` against `x` cannot grow `x` (None dims: only 1 is safe)."""
    if len(other) > len(x.shape):
        return False
    return all(o == 1 or (d is not None and o == d)
               for o, d in zip(reversed(other), reversed(x.shape)))


def _same_spec(graph: Graph, node: int, ref: tuple[int, int]) -> bool:
    a, b = graph.output_spec(node), graph.output_spec(*ref)
    return a.dtype == b.dtype and a.shape == b.shape


def _operand_if_neutral(graph: Graph, node: int, keep: int, neutral: float):
    """The input in slot `keep` when the other input is a harmless constant `neutral`."""
    edges = graph.input_edges(node)
    x, other = edges[keep], edges[1 - keep]
    if not _is_all(graph, other, neutral) or not _same_spec(graph, node, x):
        return None
    return x if _keeps_shape(graph.output_spec(*x), _constant(graph, other).shape) else None


def _multiply_by_one(graph: Graph, node: int):
    # x * 1 -> x and 1 * x -> x (exact for every value, NaN and -0.0 included)
    return _operand_if_neutral(graph, node, 0, 1) or _operand_if_neutral(graph, node, 1, 1)


def _add_zero(graph: Graph, node: int):
    # x + 0 -> x and 0 + x -> x (as XLA and grappler do; only -0.0 + 0.0 = +0.0 tells them apart)
    return _operand_if_neutral(graph, node, 0, 0) or _operand_if_neutral(graph, node, 1, 0)


def _subtract_zero(graph: Graph, node: int):
    # x - 0 -> x
    return _operand_if_neutral(graph, node, 0, 0)


def _divide_by_one(graph: Graph, node: int):
    # x / 1 -> x
    return _operand_if_neutral(graph, node, 0, 1)


def _subtract_self(graph: Graph, node: int):
    # x - x -> 0 for integers only (inf - inf and NaN - NaN are NaN)
    x, y = graph.input_edges(node)
    spec = graph.output_spec(node)
    if x != y or spec.dtype.np_dtype.kind not in "iu" or spec.num_elements is None:
        return None
    if spec.num_elements > MAX_FOLDED_ELEMENTS:
        return None
    return _new_constant(graph, node, np.zeros(spec.shape, spec.dtype.np_dtype))


def _new_constant(graph: Graph, node: int, value: np.ndarray) -> int:
    return graph.add_constant(value, name=f"{graph.node_name(node)}/folded",
                              source=graph.source(node))


def _double_negative(graph: Graph, node: int):
    # -(-x) -> x
    (inner, index), = graph.input_edges(node)
    if graph.op(inner) != "negative" or index != 0:
        return None
    x = graph.input_edges(inner)[0]
    return x if _same_spec(graph, node, x) else None


def _transpose(graph: Graph, node: int):
    # transpose(x, identity) -> x; transpose(transpose(x, p), q) -> transpose(x, p[q])
    (inner, _), = graph.input_edges(node)
    perm = tuple(graph.attrs(node)["perm"])
    if perm == tuple(range(len(perm))):
        x = graph.input_edges(node)[0]
        return x if _same_spec(graph, node, x) else None
    if graph.op(inner) != "transpose":
        return None
    first = graph.attrs(inner)["perm"]
    composed = tuple(int(first[q]) for q in perm)
    return _rebuild(graph, node, "transpose", graph.input_edges(inner)[0], {"perm": composed})


def _reshape(graph: Graph, node: int):
    # reshape(x, shape of x) -> x; reshape(reshape(x, a), b) -> reshape(x, b)
    x = graph.input_edges(node)[0]
    spec = graph.output_spec(node)
    if None not in spec.shape and _same_spec(graph, node, x):
        return x
    if graph.op(x[0]) != "reshape":
        return None
    return _rebuild(graph, node, "reshape", graph.input_edges(x[0])[0], dict(graph.attrs(node)))


def _rebuild(graph: Graph, node: int, op: str, x: tuple[int, int], attrs: dict) -> int | tuple:
    """A new `op` node reading `x` with the old node's spec (or `x` itself if that is a no-op)."""
    if op == "transpose" and attrs["perm"] == tuple(range(len(attrs["perm"]))) \
            and _same_spec(graph, node, x):
        return x
    if op == "reshape" and None not in graph.output_spec(node).shape and _same_spec(graph, node, x):
        return x
    return graph.add_node(op, [x], attrs, graph.spec(node), source=graph.source(node))


def _no_op(graph: Graph, node: int):
    # identity(x), stop_gradient(x), broadcast_to(x, shape of x), cast(x, dtype of x),
    # add_n(x) and reductions over no axis -> x (gradients were taken when tracing)
    edges = graph.input_edges(node)
    if not edges or graph.control_inputs(node):
        return None
    x = edges[0]
    if graph.op(node) == "add_n" and len(edges) != 1:
        return None
    if "axis" in graph.attrs(node) and tuple(graph.attrs(node)["axis"]) != ():
        return None
    if not _same_spec(graph, node, x):
        return None
    # broadcast_to(x:[?], (3,)) keeps x's spec only when x really has 3 elements
    known = None not in graph.output_spec(node).shape
    return x if known or graph.op(node) in _SHAPE_PRESERVING else None


_SHAPE_PRESERVING = ("identity", "stop_gradient", "cast")

RULES: dict[str, list[Rule]] = {
    "multiply": [_multiply_by_one],
    "add": [_add_zero],
    "subtract": [_subtract_zero, _subtract_self],
    "divide": [_divide_by_one],
    "negative": [_double_negative],
    "transpose": [_transpose],
    "reshape": [_reshape],
    **{op: [_no_op] for op in ("identity", "stop_gradient", "cast", "broadcast_to",
                               "broadcast_like", "add_n", "reduce_sum", "reduce_mean",
                               "reduce_max", "reduce_min", "reduce_prod")},
}


def _rewrite_once(graph: Graph) -> bool:
    """Apply the first matching rule at each node; True when anything changed."""
    changed = False
    for node in graph.topo_order():
        if node not in graph or graph.op(node) not in RULES:
            continue
        for rule in RULES[graph.op(node)]:
            replacement = rule(graph, node)
            if replacement is None:
                continue
            graph.replace_all_uses(node, replacement)
            graph.remove_node(node)
            changed = True
            break
    return changed


def simplify_algebra(graph: Graph) -> Graph:
    """Rewrite algebraic no-ops (x*1, x+0, double negation/transpose/reshape, ...) away."""
    out = graph.copy()
    while _rewrite_once(out):
        pass
    return out
