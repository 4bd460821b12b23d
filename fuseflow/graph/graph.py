"""Graph: a networkx.MultiDiGraph of op nodes behind a small typed API.

Node ids are increasing ints. A node holds `op`, `attrs` (a frozen mapping), `dtype`, `shape`,
`spec`, `name` and `source`. A data edge `producer -> consumer` has key = `slot` (the consumer's
input index) and data `{slot, index}` (`index`: the producer's output). Control edges order
stateful ops: key `"control"`, data `{control: True}`. Constant payloads live in a side table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

import networkx as nx
import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.registry import REGISTRY, OpKind, define_op
from fuseflow.core.shape import TensorSpec

CONTROL = "control"
Spec = TensorSpec | tuple  # one TensorSpec, or a tuple of them for multi-output ops


class Attrs(Mapping):
    """An immutable, hashable mapping of op attributes (values must be hashable)."""

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping | Iterable = ()):
        self._items = dict(sorted(dict(items).items()))
        self._hash = None

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._items.items()))
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"Attrs({self._items!r})"


def _no_impl(name: str):
    def impl(*arrays, **attrs):
        raise RuntimeError(f"`{name}` nodes are evaluated by graph executors, not called")

    return impl


# Graph-only ops: placeholders stand for arguments, constants hold payloads from the side table.
define_op("placeholder", kind=OpKind.OPAQUE, infer=None, impl=_no_impl("placeholder"),
          foldable=False)
define_op("constant", kind=OpKind.OPAQUE, infer=None, impl=_no_impl("constant"), foldable=False)


def _as_input(ref) -> tuple[int, int]:
    if isinstance(ref, tuple):
        return int(ref[0]), int(ref[1])
    return int(ref), 0


def _spec_parts(spec: Spec):
    if isinstance(spec, TensorSpec):
        return spec.dtype, spec.shape
    return tuple(s.dtype for s in spec), tuple(s.shape for s in spec)


class GraphName(str):
    """`graph.name` is the graph's name; `graph.name(node)` is a node's name (both are API)."""

    __slots__ = ("_graph",)

    def __new__(cls, text: str, graph: Graph):
        self = super().__new__(cls, text)
        self._graph = graph
        return self

    def __call__(self, node: int) -> str:
        return self._graph.nx.nodes[node]["name"]

    def __reduce__(self):
        return str, (str(self),)


class Graph:
    """A dataflow graph: placeholders in, `outputs` out, captured Variables read and written."""

    def __init__(self, name: str = "graph"):
        self.nx = nx.MultiDiGraph()
        self._name = str(name)
        self.placeholders: list[int] = []
        self.outputs: list[tuple[int, int]] = []
        self.captures: dict = {}  # var key -> Variable
        self._constants: dict[int, np.ndarray] = {}
        self._next_id = 0
        self._names: Counter = Counter()
        self._cache: dict = {}  # executors memoized by the runtime (cleared on copy)

    # -- building --------------------------------------------------------------------------
    def add_node(self, op: str, inputs: Iterable = (), attrs: Mapping | None = None,
                 spec: Spec = (), name: str | None = None, source: str | None = None) -> int:
        """Add a node of `op` reading `inputs` (ids or (id, output index) pairs); return its id."""
        node = self._next_id
        self._next_id += 1
        dtype, shape = _spec_parts(spec)
        attrs = attrs if isinstance(attrs, Attrs) else Attrs(attrs or {})
        self.nx.add_node(node, op=op, attrs=attrs, dtype=dtype, shape=shape, spec=spec,
                         name=self._unique_name(name or op), source=source)
        for slot, ref in enumerate(inputs):
            producer, index = _as_input(ref)
            if producer not in self.nx:
                raise KeyError(f"add_node({op}): input node {producer} is not in graph {self.name}")
            self.nx.add_edge(producer, node, key=slot, slot=slot, index=index)
        return node

    def _unique_name(self, base: str) -> str:
        count = self._names[base]
        self._names[base] += 1
        return base if count == 0 else f"{base}_{count}"

    def add_placeholder(self, spec: TensorSpec, name: str | None = None) -> int:
        """Add an argument of the graph (appended to `placeholders`)."""
        node = self.add_node("placeholder", (), {}, spec, name or "arg")
        self.placeholders.append(node)
        return node

    def add_constant(self, value, name: str | None = None, source: str | None = None) -> int:
        """Add a constant node whose payload `value` is kept in the side table."""
        array = np.asarray(value)
        spec = TensorSpec(array.shape, dtypes.from_numpy(array.dtype))
        node = self.add_node("constant", (), {}, spec, name or "const", source)
        self._constants[node] = array
        return node

    def add_control_edge(self, before: int, after: int) -> None:
        """Make `after` run after `before` (no value flows)."""
        if before != after:
            self.nx.add_edge(before, after, key=CONTROL, control=True)

    # -- reading ---------------------------------------------------------------------------
    def op(self, node: int) -> str:
        return self.nx.nodes[node]["op"]

    def attrs(self, node: int) -> Attrs:
        return self.nx.nodes[node]["attrs"]

    def spec(self, node: int) -> Spec:
        return self.nx.nodes[node]["spec"]

    def output_spec(self, node: int, index: int = 0) -> TensorSpec:
        """The spec of output `index` of `node`."""
        spec = self.spec(node)
        return spec if isinstance(spec, TensorSpec) else spec[index]

    def is_multi_output(self, node: int) -> bool:
        """True when the node's spec is a tuple (its values are read by index, even one)."""
        return not isinstance(self.spec(node), TensorSpec)

    def num_outputs(self, node: int) -> int:
        spec = self.spec(node)
        return 1 if isinstance(spec, TensorSpec) else len(spec)

    @property
    def name(self) -> GraphName:
        """The graph's name (a str); called with a node id, that node's name."""
        return GraphName(self._name, self)

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)

    def node_name(self, node: int) -> str:
        return self.nx.nodes[node]["name"]

    def source(self, node: int) -> str | None:
        return self.nx.nodes[node]["source"]

    def input_edges(self, node: int) -> list[tuple[int, int]]:
        """(producer, output index) for each input slot, in slot order."""
        edges = sorted((d["slot"], u, d["index"]) for u, _, k, d in
                       self.nx.in_edges(node, keys=True, data=True) if k != CONTROL)
        return [(u, index) for _, u, index in edges]

    def inputs(self, node: int) -> list[int]:
        """The producer of each input slot, in slot order."""
        return [u for u, _ in self.input_edges(node)]

    def users(self, node: int) -> list[int]:
        """Nodes that read a value of `node` (sorted, each once)."""
        return sorted({v for _, v, k in self.nx.out_edges(node, keys=True) if k != CONTROL})

    def control_inputs(self, node: int) -> list[int]:
        """Nodes that must run before `node` without passing it a value."""
        return sorted(u for u, _, k in self.nx.in_edges(node, keys=True) if k == CONTROL)

    def control_users(self, node: int) -> list[int]:
        return sorted(v for _, v, k in self.nx.out_edges(node, keys=True) if k == CONTROL)

    def nodes(self) -> list[int]:
        return sorted(self.nx.nodes)

    def topo_order(self) -> list[int]:
        """Nodes in a deterministic topological order (data and control edges)."""
        return list(nx.lexicographical_topological_sort(self.nx))

    def live_nodes(self) -> set[int]:
        """Nodes an output, an impure node or a placeholder depends on (data or control)."""
        roots = {n for n, _ in self.outputs} | set(self.placeholders)
        roots |= {n for n in self.nx.nodes if not REGISTRY[self.op(n)].pure}
        live, stack = set(roots), list(roots)
        while stack:
            for producer in self.nx.predecessors(stack.pop()):
                if producer not in live:
                    live.add(producer)
                    stack.append(producer)
        return live

    def constant_value(self, node: int) -> np.ndarray:
        """The payload of constant node `node`."""
        try:
            return self._constants[node]
        except KeyError:
            raise KeyError(f"node %{node} ({self.op(node)}) is not a constant") from None

    def __contains__(self, node) -> bool:
        return node in self.nx

    def __len__(self) -> int:
        return self.nx.number_of_nodes()

    # -- rewriting -------------------------------------------------------------------------
    def replace_all_uses(self, old: int, new) -> None:
        """Make every reader of `old` (and `outputs`) read `new` instead.

        `new` is a node id (output indices are kept) or a (node, index) pair (for a
        single-output `old`). Control successors of `old` move to the new node too.
        """
        new_node, new_index = (new if isinstance(new, tuple) else (new, None))
        for _, user, key, data in list(self.nx.out_edges(old, keys=True, data=True)):
            self.nx.remove_edge(old, user, key=key)
            if key == CONTROL:
                self.add_control_edge(new_node, user)
                continue
            index = data["index"] if new_index is None else new_index
            self.nx.add_edge(new_node, user, key=key, slot=data["slot"], index=index)
        self.outputs = [((new_node, index if new_index is None else new_index) if n == old
                         else (n, index)) for n, index in self.outputs]

    def remove_node(self, node: int) -> None:
        """Delete `node` and its edges (its readers must have been rewired first)."""
        if node in self.placeholders:
            raise ValueError(f"cannot remove placeholder %{node}: it is an argument of the graph")
        self.nx.remove_node(node)
        self._constants.pop(node, None)

    def replace_with_constant(self, node: int, value) -> None:
        """Turn `node` into a constant holding `value`, keeping its id, name and readers."""
        array = np.asarray(value)
        spec = self.output_spec(node)
        if array.dtype != spec.dtype.np_dtype:
            array = array.astype(spec.dtype.np_dtype)
        for producer, _, key in list(self.nx.in_edges(node, keys=True)):
            self.nx.remove_edge(producer, node, key=key)
        data = self.nx.nodes[node]
        new_spec = TensorSpec(array.shape, spec.dtype)
        data.update(op="constant", attrs=Attrs(), spec=new_spec, dtype=new_spec.dtype,
                    shape=new_spec.shape)
        self._constants[node] = array

    def set_spec(self, node: int, spec: Spec) -> None:
        """Refine the recorded spec of `node` (e.g. `set_shape` on a traced tensor)."""
        dtype, shape = _spec_parts(spec)
        self.nx.nodes[node].update(spec=spec, dtype=dtype, shape=shape)

    def copy(self, name: str | None = None) -> Graph:
        """An independent copy (attrs and constant payloads are shared: both are immutable)."""
        out = Graph(name or self.name)
        out.nx = self.nx.copy()
        out.placeholders = list(self.placeholders)
        out.outputs = list(self.outputs)
        out.captures = dict(self.captures)
        out._constants = dict(self._constants)
        out._next_id = self._next_id
        out._names = Counter(self._names)
        return out

    # -- text and files ----------------------------------------------------------------------
    def __str__(self) -> str:
        from fuseflow.graph.printing import graph_text

        return graph_text(self)

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {len(self)} nodes>"

    def pretty(self, source: bool = False) -> str:
        """The graph as text, with each node's user source line when `source`."""
        from fuseflow.graph.printing import graph_text

        return graph_text(self, source=source)

    def summary(self) -> str:
        """Op counts by kind and op name."""
        from fuseflow.graph.printing import summary

        return summary(self)

    def to_dot(self) -> str:
        """Graphviz dot text of the graph."""
        from fuseflow.graph.printing import to_dot

        return to_dot(self)

    def to_json(self) -> str:
        """JSON text that `Graph.from_json` turns back into an equal graph."""
        from fuseflow.graph.serialize import to_json

        return to_json(self)

    @staticmethod
    def from_json(text: str, variables: Mapping | None = None) -> Graph:
        """Rebuild a graph from `to_json` text; variables come from `variables` or by name."""
        from fuseflow.graph.serialize import from_json

        return from_json(text, variables)


def count_kinds(graph: Graph) -> Counter:
    """Number of nodes per OpKind value (graph-only ops counted under their own op name)."""
    return Counter(REGISTRY[graph.op(n)].kind.value for n in graph.nodes())
