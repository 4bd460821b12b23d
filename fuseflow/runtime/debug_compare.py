"""`fuseflow.config.debug_compare(True)`: check every compiled call against graph mode.

Each compiled call also runs the traced graph op by op on NumPy, from the same variable values
and random-generator states. When an output or a variable update differs, the graph is run again
after each pass of the pipeline to find the first pass whose graph gives a different result,
and the error names the first node of that graph whose value differs (op, user line, max
abs/rel difference). When every pass agrees, the native code is at fault, and the error names
the kernel's node. Debug only: a call costs one compiled run plus one or more NumPy runs, and
`print`/`py_function` nodes run more than once.
"""

from __future__ import annotations

import numpy as np

from fuseflow.compiler.passes import default_passes
from fuseflow.core import random_state
from fuseflow.core.errors import OpError
from fuseflow.core.registry import REGISTRY
from fuseflow.graph.concrete import debug_check
from fuseflow.graph.function import reset_fast_paths
from fuseflow.graph.graph import Graph

_WRITES = ("assign", "assign_add", "assign_sub")
_tolerance = {"rtol": 1e-5, "atol": 1e-6}


class CompiledMismatchError(OpError):
    """A compiled call gave values that graph mode does not: names the first differing node."""

    def __init__(self, op, message, inputs=None, source=None, *, node=None, pass_name=None,
                 max_abs=None, max_rel=None):
        super().__init__(op, message, inputs, source)
        self.node, self.pass_name, self.max_abs, self.max_rel = node, pass_name, max_abs, max_rel


def debug_compare(enabled: bool = True, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Run every compiled call also in graph mode and raise on the first differing node.

    Args:
        enabled: turn the check on or off (for every function, already traced or not).
        rtol, atol: floats agree when |compiled - graph| <= atol + rtol * |graph|; NaN
            must meet NaN. Integers and booleans must be equal.
    """
    _tolerance.update(rtol=float(rtol), atol=float(atol))
    debug_check[0] = DebugCompared if enabled else None
    reset_fast_paths()  # fast paths hold the unchecked executable


def debug_compare_enabled() -> bool:
    """Whether `debug_compare(True)` is in effect."""
    return debug_check[0] is not None


class DebugCompared:
    """An executable that runs the compiled call, then checks it against graph mode."""

    def __init__(self, graph: Graph, executable, passes: tuple | None = None):
        self.graph = graph
        self.executable = executable
        self.passes = passes

    def __call__(self, args: list) -> list:
        variables = {key: var._value for key, var in self.graph.captures.items()}
        _create_generators(self.graph)
        rng = _rng_states()
        outputs = self.executable(args)
        updated = {key: var._value for key, var in self.graph.captures.items()}
        after = _rng_states()
        reference, written = _replay(self.graph, args, variables, rng)
        got = list(outputs) + [updated[k] for k in written]
        want = [_value(reference, n, i) for n, i in self.graph.outputs] + list(written.values())
        if any(_differs(g, w) for g, w in zip(got, want)):
            raise self._locate(args, variables, rng, got)
        _restore(after)
        return outputs

    def _locate(self, args: list, variables: dict, rng: dict, got: list) -> CompiledMismatchError:
        """Find the first pass, then the first node, whose values differ from the traced graph."""
        previous, values = self.graph, _replay(self.graph, args, variables, rng)[0]
        passes = default_passes() if self.passes is None else self.passes
        for step in passes:
            graph = step(previous)
            new_values = _replay(graph, args, variables, rng)[0]
            node = _first_difference(previous, values, graph, new_values)
            if node is not None:
                name = getattr(step, "__name__", str(step))
                return _error(self.graph.name, graph, node, new_values, values, f"pass {name}")
            previous, values = graph, new_values
        for (node, index), value in zip(previous.outputs, got):
            if _differs(value, _value(values, node, index)):
                return _error(self.graph.name, previous, node, {node: value}, values,
                              "the native kernel", index)
        return CompiledMismatchError(None, f"debug_compare: compiled {self.graph.name} differs "
                                     "from graph mode in a variable update", source="<unknown>")


def _error(function_name: str, graph: Graph, node: int, got: dict, want: dict, culprit: str,
           index: int = 0) -> CompiledMismatchError:
    op = graph.op(node)
    a, b = _value(got, node, index), _value(want, node, index)
    max_abs, max_rel = _diffs(a, b)
    what = f"%{node} {graph.node_name(node)}"
    if op == "fused":
        what += f" ({'_'.join(o for o, _, _ in graph.attrs(node)['body'])})"
    message = (f"debug_compare: compiled {function_name} differs from graph mode at node {what}, "
               f"changed by {culprit}: max abs diff {max_abs:.6g}, max rel diff {max_rel:.6g}")
    return CompiledMismatchError(op, message, source=graph.source(node) or "<unknown>",
                                 node=node, pass_name=culprit, max_abs=max_abs, max_rel=max_rel)


def _first_difference(before: Graph, old: dict, after: Graph, new: dict) -> int | None:
    """The first node of `after` (graph order) whose value differs from `before`'s same node.

    Nodes a pass created are checked through their readers; a difference that reaches only
    the outputs is reported at the output node.
    """
    for node in after.topo_order():
        if node in old and node in new and node in before and _node_differs(old, new, node):
            return node
    for (node, index), (old_node, old_index) in zip(after.outputs, before.outputs):
        if _differs(_value(new, node, index), _value(old, old_node, old_index)):
            return node
    return None


def _node_differs(old: dict, new: dict, node: int) -> bool:
    a, b = old[node], new[node]
    if isinstance(a, tuple) or isinstance(b, tuple):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(b, a))
    return _differs(b, a)


# -- running a graph on NumPy, keeping every value -----------------------------------------
def _replay(graph: Graph, args: list, variables: dict, rng: dict) -> tuple[dict, dict]:
    """Every live node's value and the variables written, from these variable values and RNG."""
    _restore(rng)
    values: dict = dict(zip(graph.placeholders, args))
    current = dict(variables)
    written: dict = {}
    live = graph.live_nodes()
    for node in graph.topo_order():
        op = graph.op(node)
        if node in values or node not in live:
            continue
        ins = [_value(values, p, i) for p, i in graph.input_edges(node)]
        attrs = graph.attrs(node)
        if op == "constant":
            values[node] = graph.constant_value(node)
        elif op == "read_variable":
            values[node] = current[attrs["var"]]
        elif op in _WRITES:
            key = attrs["var"]
            current[key] = written[key] = _write(current[key], ins[0], op)
        else:
            values[node] = REGISTRY[op].impl(*ins, **attrs)
    return values, written


def _write(old: np.ndarray, value: np.ndarray, op: str) -> np.ndarray:
    if op == "assign_add":
        value = old + value
    elif op == "assign_sub":
        value = old - value
    return np.asarray(value, dtype=old.dtype)


def _value(values: dict, node: int, index: int = 0):
    value = values[node]
    return value[index] if isinstance(value, tuple | list) else value


def _create_generators(graph: Graph) -> None:
    """Make each random node's generator exist now, so its state can be saved and replayed."""
    for node in graph.nodes():
        seed = graph.attrs(node).get("seed")
        if not REGISTRY[graph.op(node)].pure and isinstance(seed, tuple):
            random_state.generator(graph.op(node), seed)


def _rng_states() -> dict:
    return {key: rng.bit_generator.state for key, rng in random_state._generators.items()}


def _restore(states: dict) -> None:
    for key, state in states.items():
        rng = random_state._generators.get(key)
        if rng is not None:
            rng.bit_generator.state = state


# -- comparing ---------------------------------------------------------------------------------
def _differs(got, want) -> bool:
    a, b = np.asarray(got), np.asarray(want)
    if a.shape != b.shape:
        return True
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc":
        return not np.array_equal(a, b)
    with np.errstate(all="ignore"):
        close = np.isclose(a, b, rtol=_tolerance["rtol"], atol=_tolerance["atol"], equal_nan=True)
    return not bool(np.all(close))


def _diffs(got, want) -> tuple[float, float]:
    """(max abs, max rel) difference over finite pairs; inf where NaN/Inf or shapes disagree."""
    a, b = np.asarray(got), np.asarray(want)
    if a.shape != b.shape:
        return float("inf"), float("inf")
    a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):
        diff = np.abs(a - b)
        diff = np.where(np.isnan(a) & np.isnan(b), 0.0, diff)
        diff = np.where(np.isnan(diff), np.inf, diff)
        rel = diff / np.maximum(np.abs(b), np.finfo(np.float64).tiny)
    if diff.size == 0:
        return 0.0, 0.0
    return float(diff.max()), float(np.where(diff == 0, 0.0, rel).max())
