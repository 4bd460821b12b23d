"""The Graph API: building, rewriting, verifying, printing, dot and JSON round trips."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.shape import TensorSpec
from fuseflow.graph import Graph, GraphError, verify_graph
from fuseflow.graph.serialize import encode_value
from fuseflow.runtime.interpreter import interpret


def _traced(fn, *args):
    return ff.function(fn).get_concrete_function(*args).graph


def _small_graph() -> Graph:
    graph = Graph("g")
    x = graph.add_placeholder(TensorSpec((None, 3), ff.float32), "x")
    c = graph.add_constant(np.float32(2.0))
    y = graph.add_node("multiply", [x, c], {}, TensorSpec((None, 3), ff.float32))
    z = graph.add_node("add", [y, y], {}, TensorSpec((None, 3), ff.float32))
    graph.outputs = [(z, 0)]
    return graph


def test_api_reads_inputs_users_and_order():
    graph = _small_graph()
    assert graph.name == "g" and graph.name(3) == "add"
    assert graph.inputs(3) == [2, 2] and graph.input_edges(2) == [(0, 0), (1, 0)]
    assert graph.users(2) == [3] and graph.topo_order() == [0, 1, 2, 3]
    assert graph.nx.number_of_edges(2, 3) == 2  # x + x: two edges keyed by slot
    verify_graph(graph)


def test_replace_all_uses_and_copy_leave_original_untouched():
    graph = _small_graph()
    copy = graph.copy()
    copy.replace_all_uses(2, 0)
    copy.remove_node(2)
    assert copy.inputs(3) == [0, 0] and graph.inputs(3) == [2, 2]
    verify_graph(copy)


def test_replace_with_constant_keeps_readers():
    graph = _small_graph()
    graph.replace_with_constant(2, np.ones((4, 3), np.float32))
    assert graph.op(2) == "constant" and graph.users(2) == [3]
    assert graph.constant_value(2).shape == (4, 3)


def test_verify_graph_rejects_missing_slot_and_bad_spec():
    graph = _small_graph()
    graph.nx.remove_edge(2, 3, key=0)
    with pytest.raises(GraphError, match="slots"):
        verify_graph(graph)
    graph = _small_graph()
    graph.add_node("add", [0, 2], {}, TensorSpec((5,), ff.int32))
    with pytest.raises(GraphError, match="disagrees"):
        verify_graph(graph)


def test_text_is_typed_one_node_per_line():
    graph = _traced(lambda x, w: ff.matmul(x, w) + 1.0, ff.TensorSpec([None, 4]),
                    ff.TensorSpec([4, 8]))
    text = str(graph)
    assert "graph <lambda>(%0: f32[?,4], %1: f32[4,8]) {" in text
    assert "%2 = matmul[transpose_a=False, transpose_b=False](%0, %1) : f32[?,8]" in text
    assert text.rstrip().endswith("return %4\n}")
    assert "test_graph.py" in graph.pretty(source=True)
    assert "matmul 1" in graph.summary()


def test_dot_text_parses_as_dot():
    v = ff.Variable([1.0, 2.0])
    graph = _traced(lambda x: v.assign_add(x * 2.0).read_value(), ff.TensorSpec([2]))
    dot = graph.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    nodes = re.findall(r"^\s+(n\d+) \[label=\"(?:[^\"\\]|\\.)*\"(?:, shape=\w+)?\];$", dot, re.M)
    edges = re.findall(r"^\s+(n\d+|out\d+) -> (n\d+|out\d+)(?: \[[^\]]*\])?;$", dot, re.M)
    assert sorted(nodes, key=lambda n: int(n[1:])) == [f"n{n}" for n in graph.nodes()]
    assert len(edges) == graph.nx.number_of_edges() + len(graph.outputs)
    assert "style=dashed" in dot  # the control edge between the write and the read


def _node_data(graph: Graph, node: int) -> dict:
    data = dict(graph.nx.nodes[node])
    data["attrs"] = encode_value(dict(data["attrs"]))  # subgraphs compare by content
    return data


def _equal(a: Graph, b: Graph) -> bool:
    same_nodes = all(_node_data(a, n) == _node_data(b, n) for n in a.nodes())
    same_edges = sorted(map(str, a.nx.edges(keys=True, data=True))) == \
        sorted(map(str, b.nx.edges(keys=True, data=True)))
    same_constants = all(np.array_equal(a.constant_value(n), b.constant_value(n)) and
                         a.constant_value(n).dtype == b.constant_value(n).dtype
                         for n in a._constants)
    return (a.nodes() == b.nodes() and same_nodes and same_edges and same_constants and
            a.placeholders == b.placeholders and a.outputs == b.outputs and
            a.captures == b.captures and str(a) == str(b))


def test_json_round_trip_is_exact_and_runs():
    v = ff.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))

    def step(x, n):
        y = ff.cast(x @ v, ff.float64) * 0.5
        v.assign_sub(ff.ones_like(v) * 0.25)
        loop = ff.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a + 1.0), [0, y])
        return ff.cond(n > 1, lambda: loop[1], lambda: y), ff.constant(np.int64(7))

    graph = _traced(step, ff.TensorSpec([None, 2]), ff.TensorSpec([], ff.int32))
    back = Graph.from_json(graph.to_json())
    assert _equal(graph, back)
    assert back.to_json() == graph.to_json()
    verify_graph(back)
    assert nx.is_directed_acyclic_graph(back.nx)
    args = [np.ones((3, 2), np.float32), np.array(2, np.int32)]
    start = v.numpy()
    first = interpret(graph, args)
    v.assign(start)  # both runs start from the same variable value
    second = interpret(back, args)
    for x, y in zip(first, second):
        np.testing.assert_array_equal(y, x)


def test_json_round_trip_keeps_fused_bodies_hashable():
    from fuseflow.compiler.passes import run_pipeline

    graph = _traced(lambda x: ff.nn.relu(x * 2.0 + 1.0), ff.TensorSpec([3], ff.float32))
    fused = run_pipeline(graph, cache=False)
    back = Graph.from_json(fused.to_json())
    node = next(n for n in back.nx.nodes if back.op(n) == "fused")
    hash(back.attrs(node))  # nested member attrs decode as Attrs, not dicts
    assert back.attrs(node) == fused.attrs(node)
