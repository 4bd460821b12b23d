"""The graph interpreter: runs a Graph node by node with each op's NumPy implementation.

The schedule is computed once per graph and turned into one straight-line Python function
(`v3 = f3(v0, c2, **k3)` per node), so a call costs the op implementations and little else.
Variables are read and written through the graph's captures; random ops draw anew on each
call because their `impl` does.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core.context import updated_value
from fuseflow.core.errors import InvalidArgumentError, OpError
from fuseflow.core.registry import REGISTRY
from fuseflow.graph.graph import Graph

_FILENAME = "<fuseflow graph {name}>"
_WRITES = ("assign", "assign_add", "assign_sub")


class Interpreter:
    """A callable `run(arrays) -> arrays` executing `graph` with NumPy."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.run, self._line_nodes = _build(graph)
        self.fast_call = self.run  # what the function fast path calls, skipping __call__

    def __call__(self, args: list) -> list:
        return self.run(args)


def interpret(graph: Graph, args: list) -> list:
    """Run `graph` once on `args` (the interpreter is memoized on the graph)."""
    interpreter = graph._cache.get("interpreter")
    if interpreter is None:
        interpreter = graph._cache["interpreter"] = Interpreter(graph)
    return interpreter.run(args)


def _ref(graph: Graph, node: int, index: int) -> str:
    return f"v{node}[{index}]" if graph.is_multi_output(node) else f"v{node}"


def _statement(graph: Graph, node: int, names: dict) -> str | None:
    op = graph.op(node)
    args = ", ".join(_ref(graph, p, i) for p, i in graph.input_edges(node))
    attrs = graph.attrs(node)
    if op == "constant":
        names[f"c{node}"] = graph.constant_value(node)
        return f"v{node} = c{node}"
    if op == "read_variable":
        names[f"var{node}"] = graph.captures[attrs["var"]]
        return f"v{node} = var{node}._value"
    if op in _WRITES:
        names[f"var{node}"] = graph.captures[attrs["var"]]
        names["_write"] = _write
        return f"_write(var{node}, {args}, {op!r})"
    names[f"f{node}"] = REGISTRY[op].impl
    call = f"f{node}({args}"
    if attrs:
        names[f"k{node}"] = dict(attrs)
        call += f"{', ' if args else ''}**k{node}"
    call += ")"
    if graph.is_multi_output(node) and graph.num_outputs(node) == 0:
        return call
    return f"v{node} = {call}"


def _last_uses(graph: Graph, order: list[int]) -> dict[int, list[int]]:
    """For each position in `order`, the values whose last reader is that node."""
    position = {n: i for i, n in enumerate(order)}
    last: dict[int, int] = {}
    for node in order:
        for producer in graph.inputs(node):
            last[producer] = max(last.get(producer, -1), position[node])
    kept = {n for n, _ in graph.outputs} | set(graph.placeholders)
    dead: dict[int, list[int]] = {}
    for producer, pos in last.items():
        if producer not in kept:
            dead.setdefault(pos, []).append(producer)
    return dead


def _build(graph: Graph):
    live = graph.live_nodes()
    order = [n for n in graph.topo_order() if n in live and graph.op(n) != "placeholder"]
    names: dict = {}
    params = "".join(f"v{p}, " for p in graph.placeholders)
    lines = ["def run(args):"]
    if graph.placeholders:
        lines.append(f"    {params}= args")
    line_nodes: dict[int, int] = {}
    dead = _last_uses(graph, order)
    for pos, node in enumerate(order):
        line_nodes[len(lines) + 1] = node
        lines.append(f"    {_statement(graph, node, names)}")
        if pos in dead:
            lines.append("    del " + ", ".join(f"v{n}" for n in sorted(dead[pos])))
    outs = ", ".join(_ref(graph, n, i) for n, i in graph.outputs)
    lines.append(f"    return [{outs}]")
    source = "\n".join(lines)
    code = compile(source, _FILENAME.format(name=graph.name), "exec")
    exec(code, names)
    run = names["run"]
    return _guarded(run, graph, line_nodes), line_nodes


def _guarded(run, graph: Graph, line_nodes: dict[int, int]):
    """Wrap `run` so a failing op is reported with its node, op, input specs and source line."""

    def guarded(args: list) -> list:
        try:
            return run(args)
        except Exception as error:
            node = _failing_node(error, line_nodes)
            if node is None:
                raise
            raise _node_error(graph, node, error) from error

    guarded.unguarded = run
    return guarded


def _failing_node(error: Exception, line_nodes: dict[int, int]) -> int | None:
    tb = error.__traceback__
    node = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<fuseflow graph"):
            node = line_nodes.get(tb.tb_lineno, node)
        tb = tb.tb_next
    return node


def _node_error(graph: Graph, node: int, error: Exception) -> OpError:
    op = graph.op(node)
    inputs = ", ".join(graph.output_spec(p, i).short() for p, i in graph.input_edges(node))
    message = error.message if isinstance(error, OpError) else f"{type(error).__name__}: {error}"
    return InvalidArgumentError(op, f"{message} (graph {graph.name}, node %{node})", inputs,
                                graph.source(node) or "<unknown>")


def _write(variable, value: np.ndarray, mode: str) -> None:
    """Carry out an assign node as the eager context does (a new array: old reads stay valid)."""
    variable._value = updated_value(variable._value, value, mode)
    variable._tensor = None
