"""Tracing: run Python once with symbolic tensors and record each op as a graph node.

A `TracingContext` is pushed on the execution-context stack, so every `bind` lands in
`execute`, which infers output specs, adds a node and returns `SymbolicTensor`s. Variable reads
are cached per variable until a write; every impure node is chained to the previous one with a
control edge, so side effects keep program order.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import context
from fuseflow.core.context import ExecutionContext, op_error
from fuseflow.core.errors import OpError, user_source
from fuseflow.core.ops.state import register_variable
from fuseflow.core.registry import REGISTRY
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.core.tensor import SpecTensor, Tensor
from fuseflow.graph.graph import Graph


class LeakedTensorError(TypeError):
    """A symbolic tensor was used outside the trace that created it."""


class SymbolicTensor(SpecTensor):
    """A value of a graph being traced: known by its spec, never by its numbers."""

    __slots__ = ("_graph", "_node", "_index")

    def __init__(self, graph: Graph, node: int, index: int, spec: TensorSpec):
        self._graph, self._node, self._index, self._spec = graph, node, index, spec

    @property
    def _value(self):  # eager code reaching for the numbers of a traced value
        raise LeakedTensorError(self._leak_message())

    def _leak_message(self) -> str:
        where = self._graph.source(self._node) or "<unknown>"
        state = "whose trace has finished" if getattr(self._graph, "_finished", False) else \
            "that is still being traced"
        return (f"symbolic tensor {self.name} ({self._spec.short()}, created at {where}) belongs "
                f"to graph `{self._graph.name}` {state}; it has no value outside that trace. "
                f"Return it from the traced function instead of storing it.")

    @property
    def name(self) -> str:
        return f"{self._graph.node_name(self._node)}:{self._index}"

    @property
    def graph(self) -> Graph:
        return self._graph

    def set_shape(self, shape) -> None:
        """Refine the static shape (it must agree with the traced one)."""
        merged = TensorShape(self._spec.shape).merge_with(shape)
        self._spec = TensorSpec(merged, self._spec.dtype)
        specs = self._graph.spec(self._node)
        if isinstance(specs, TensorSpec):
            self._graph.set_spec(self._node, self._spec)
        else:
            self._graph.set_spec(self._node, specs[:self._index] + (self._spec,)
                                 + specs[self._index + 1:])

    def numpy(self):
        raise TypeError(f"{self.name} is a symbolic tensor inside a traced function: it has no "
                        f"value yet. Return it from the function (or use fuseflow.print).")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self.name} is a symbolic tensor inside a traced function and cannot be "
                        f"converted to a NumPy array; use fuseflow ops, or fuseflow.py_function "
                        f"to run NumPy code on each call.")

    def __bool__(self) -> bool:
        raise TypeError(f"Using the symbolic tensor {self.name} as a Python bool is not allowed "
                        f"in a traced function (its value is unknown while tracing). Use "
                        f"fuseflow.cond(pred, true_fn, false_fn) for a data-dependent branch, or "
                        f"fuseflow.while_loop for a data-dependent loop.")

    def _scalar(self, what: str):
        raise TypeError(f"cannot convert the symbolic tensor {self.name} to a Python {what} "
                        f"inside a traced function: its value is unknown while tracing.")

    def __len__(self) -> int:
        first = self._spec.shape[0] if self._spec.shape else None
        if first is None:
            raise TypeError(f"len() of {self.name} is unknown while tracing (shape "
                            f"{self.shape}); use fuseflow.shape(x)[0]")
        return first

    def __iter__(self):
        if not self._spec.shape or self._spec.shape[0] is None:
            raise TypeError(f"Iterating over the symbolic tensor {self.name} of shape "
                            f"{self.shape} is not allowed in a traced function: the first "
                            f"dimension must be known.")
        return (self[i] for i in range(self._spec.shape[0]))

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __str__(self) -> str:
        return f"Tensor(\"{self.name}\", shape={self.shape}, dtype={self.dtype.name})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __reduce__(self):
        raise TypeError(f"cannot pickle the symbolic tensor {self.name}")


class TracingContext(ExecutionContext):
    """Records ops into `graph` instead of running them."""

    executing_eagerly = False

    def __init__(self, graph: Graph, allow_variables: bool = True, parent=None):
        self.graph = graph
        self.allow_variables = allow_variables
        self.parent = parent  # the enclosing trace, for branches of control flow
        self.created_variables: list = []
        self._constants: dict[int, tuple[Tensor, int]] = {}  # id(eager tensor) -> (it, node)
        self._reads: dict[str, SymbolicTensor] = {}
        self._last_effect: int | None = None
        graph._finished = False

    # -- values ----------------------------------------------------------------------------
    def ref(self, tensor: Tensor) -> tuple[int, int]:
        """The (node, index) of `tensor` in this graph, adding a constant for an eager one."""
        if type(tensor) is SymbolicTensor:
            if tensor._graph is self.graph:
                return tensor._node, tensor._index
            return self.capture(tensor)
        entry = self._constants.get(id(tensor))
        if entry is None:
            node = self.graph.add_constant(tensor._value, source=user_source())
            entry = self._constants[id(tensor)] = (tensor, node)  # keeps the id alive
        return entry[1], 0

    def capture(self, tensor: SymbolicTensor) -> tuple[int, int]:
        """A value of another graph used here: only branch traces may capture (see subclass)."""
        raise LeakedTensorError(tensor._leak_message())

    def symbolic(self, node: int, index: int = 0) -> SymbolicTensor:
        return SymbolicTensor(self.graph, node, index, self.graph.output_spec(node, index))

    def _sequence(self, node: int) -> None:
        if self._last_effect is not None:
            self.graph.add_control_edge(self._last_effect, node)
        self._last_effect = node

    # -- the ExecutionContext interface -------------------------------------------------------
    def execute(self, opdef, inputs, attrs, name):
        refs = [self.ref(t) for t in inputs]
        specs = [self.graph.output_spec(n, i) for n, i in refs]
        try:
            spec = opdef.infer(*specs, **attrs)
        except OpError as error:
            raise op_error(opdef, inputs, attrs, error) from None
        except Exception as cause:
            raise op_error(opdef, inputs, attrs, cause) from None
        if type(spec) is list:
            spec = tuple(spec)
        node = self.graph.add_node(opdef.name, refs, attrs, spec, name, user_source())
        if not opdef.pure:
            self._sequence(node)
            self.effect_added(node, attrs)
        if type(spec) is tuple:
            return tuple(self.symbolic(node, i) for i in range(len(spec)))
        return SymbolicTensor(self.graph, node, 0, spec)

    def effect_added(self, node: int, attrs) -> None:
        """A stateful node was added: forget cached reads of the variables it may write."""
        for key in _written_variables(self.graph, node):
            self._reads.pop(key, None)
        for value in attrs.values():  # variables touched inside subgraphs belong to this graph too
            if isinstance(value, Graph):
                self.graph.captures.update(value.captures)

    def read_variable(self, variable):
        key = variable.name
        cached = self._reads.get(key)
        if cached is not None:
            return cached
        self.graph.captures[register_variable(variable)] = variable
        node = self.graph.add_node("read_variable", (), {"var": key}, variable.spec,
                                   _var_name(variable), user_source())
        self._sequence(node)
        tensor = self._reads[key] = self.symbolic(node)
        return tensor

    def assign_variable(self, variable, value, mode):
        key = register_variable(variable)
        self.graph.captures[key] = variable
        node = self.graph.add_node(mode, [self.ref(value)], {"var": key}, (),
                                   f"{_var_name(variable)}/{mode}", user_source())
        self._sequence(node)
        self._reads.pop(key, None)

    def initial_value(self, value):
        if type(value) is not SymbolicTensor:
            return value._value
        return evaluate_constant(value)

    def variable_created(self, variable):
        if not self.allow_variables:
            raise ValueError(
                f"fuseflow.function only supports creating Variables on the first trace of a "
                f"function (the `if self.v is None: self.v = Variable(...)` idiom). Variable "
                f"{variable.name!r} was created on a later trace ({user_source()}). Create "
                f"variables outside the function, or only once.")
        self.created_variables.append(variable)

    def finish(self) -> None:
        """Close the trace: its symbolic tensors may no longer be used."""
        self.graph._finished = True


def _var_name(variable) -> str:
    return variable.name[:-2] if variable.name.endswith(":0") else variable.name


def _written_variables(graph: Graph, node: int) -> list[str]:
    op = graph.op(node)
    if op in ("assign", "assign_add", "assign_sub"):
        return [graph.attrs(node)["var"]]
    keys = []
    for value in graph.attrs(node).values():
        if isinstance(value, Graph):
            keys += [k for n in value.nodes() for k in _written_variables(value, n)]
    return keys


def evaluate_constant(tensor: SymbolicTensor) -> np.ndarray:
    """The value of a traced tensor that depends on constants only (a new Variable's start)."""
    graph, values = tensor._graph, {}
    needed = set(_ancestors(graph, tensor._node)) | {tensor._node}
    for node in graph.topo_order():
        if node not in needed:
            continue
        op = graph.op(node)
        if op == "constant":
            values[node] = (graph.constant_value(node),)
            continue
        opdef = REGISTRY[op]
        if op == "placeholder" or not opdef.pure:
            raise ValueError(f"the initial value of a Variable created in a traced function "
                             f"depends on {graph.node_name(node)} ({op}); it must be computable "
                             f"from constants when the function is traced")
        args = [values[p][i] for p, i in graph.input_edges(node)]
        out = opdef.impl(*args, **graph.attrs(node))
        values[node] = tuple(out) if isinstance(out, tuple | list) else (out,)
    return np.asarray(values[tensor._node][tensor._index])


def _ancestors(graph: Graph, node: int):
    import networkx as nx

    return nx.ancestors(graph.nx, node)


def current_tracing_context() -> TracingContext | None:
    """The innermost tracing context, or None when running eagerly."""
    ctx = context.current()
    return ctx if isinstance(ctx, TracingContext) else None
