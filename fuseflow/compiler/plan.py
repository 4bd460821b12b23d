"""Plan: a graph specialised to concrete input shapes, as slots and steps.

Every value lives in a slot: an entry of the list of ndarrays a call passes to native code.
Slots are arguments, variable values, constants, temporaries (allocated once per plan),
outputs (allocated per call), new variable values (per call) and values produced by NumPy
fallbacks (set during the call). Steps are native kernels or NumPy fallbacks, in order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from fuseflow.compiler.cache import lowering_digest
from fuseflow.compiler.lowering.check import lowers, native_dtype
from fuseflow.compiler.lowering.conv import plan_conv
from fuseflow.compiler.lowering.elementwise import ElementwiseKernel, Entry, Operand
from fuseflow.compiler.lowering.gather import plan_gather, plan_gather_grad, plan_one_hot
from fuseflow.compiler.lowering.movement import MOVEMENT_LOWERINGS
from fuseflow.compiler.lowering.pool import plan_avg_pool, plan_max_pool
from fuseflow.compiler.lowering.reduction import COMBINERS, ReductionKernel, plan_arg, split_axes
from fuseflow.compiler.lowering.softmax import BACKWARD, FORWARD, plan_softmax, plan_softmax_xent
from fuseflow.compiler.matmul import Epilogue, MatmulKernel
from fuseflow.compiler.plan_rules import (
    FOLD_MAX_ELEMENTS,
    epilogue_consumer,
    epilogue_operand,
    fold_at_plan_time,
)
from fuseflow.core.registry import REGISTRY, OpKind, Reduction
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

ARG, VAR, CONST, TEMP, OUT, VAR_OUT, DYNAMIC = "arg", "var", "const", "temp", "out", "var_out", \
    "dynamic"
_ALIASING = ("reshape", "expand_dims", "squeeze")  # same bytes, new shape
_WRITES = {"assign": "identity", "assign_add": "add", "assign_sub": "subtract"}



@dataclass
class Slot:
    role: str
    shape: tuple[int, ...]
    dtype: np.dtype
    payload: object = None  # CONST: the array; VAR: the variable key


@dataclass
class PyCall:
    """A NumPy fallback: `impl(*inputs, **attrs)` into `outputs` slots."""

    node: int
    op: str
    attrs: dict
    inputs: list[tuple[int, tuple[int, ...]]]  # (slot, shape as the op sees it)
    outputs: list[int]
    reason: str
    multi: bool = False  # the op returns a tuple (its spec is a tuple, even of one)


@dataclass
class Plan:
    """Slots and steps for one set of concrete input shapes."""

    name: str
    slots: list[Slot] = field(default_factory=list)
    steps: list = field(default_factory=list)
    outputs: list[tuple[int, tuple]] = field(default_factory=list)  # (slot, shape) per output
    var_writes: list[tuple[str, int]] = field(default_factory=list)  # (key, slot), last wins
    var_slots: dict[str, int] = field(default_factory=dict)  # key -> VAR slot
    kernel_nodes: dict[str, list[int]] = field(default_factory=dict)
    in_place: set[str] = field(default_factory=set)  # variables whose buffer kernels overwrite

    def add_slot(self, role: str, spec: TensorSpec, payload=None) -> int:
        self.slots.append(Slot(role, tuple(spec.shape), spec.dtype.np_dtype, payload))
        return len(self.slots) - 1

    def signature(self) -> str:
        """Text that determines the generated code (hashed for names and caches)."""
        parts = [f"{i}:{s.role}:{s.shape}:{s.dtype}" for i, s in enumerate(self.slots)]
        parts += [repr(step) for step in self.steps]
        return "\n".join(parts)

    def key_text(self) -> str:
        """The signature plus a digest of the lowerings it names that live outside fuseflow."""
        return self.signature() + "\n" + lowering_digest(self.steps)

    def digest(self) -> str:
        """20 hex digits naming the plan's generated code (its module and symbol prefix)."""
        return hashlib.sha256(self.key_text().encode()).hexdigest()[:20]

    @property
    def fallbacks(self) -> list[PyCall]:
        return [s for s in self.steps if isinstance(s, PyCall)]


def concrete_specs(graph: Graph, arg_specs: list[TensorSpec]) -> dict[int, object]:
    """Each node's spec with the placeholders' shapes made concrete."""
    specs: dict[int, object] = dict(zip(graph.placeholders, arg_specs))
    for node in graph.topo_order():
        if node in specs:
            continue
        op = graph.op(node)
        if op == "constant":
            value = graph.constant_value(node)
            specs[node] = graph.spec(node).with_shape(value.shape)
        elif op == "read_variable":
            var = graph.captures[graph.attrs(node)["var"]]
            specs[node] = TensorSpec(var._value.shape, graph.spec(node).dtype)
        elif op in _WRITES:
            specs[node] = ()
        else:
            ins = [_pick(specs[p], i) for p, i in graph.input_edges(node)]
            specs[node] = REGISTRY[op].infer(*ins, **graph.attrs(node))
    return specs


def _pick(spec, index: int) -> TensorSpec:
    return spec if isinstance(spec, TensorSpec) else spec[index]


class _Builder:
    """Walks the graph in order and fills a Plan."""

    def __init__(self, graph: Graph, arg_specs: list[TensorSpec]):
        self.graph = graph
        self.specs = concrete_specs(graph, arg_specs)
        self.plan = Plan(graph.name)
        self.value: dict[tuple[int, int], int] = {}  # (node, index) -> slot
        self.current_var: dict[str, int] = {}
        self.output_nodes = {n for n, _ in graph.outputs}
        self.kernels = 0
        self.pending: dict[int, int] = {}  # matmul/conv2d -> the consumer it waits to fuse with
        self.known: set[int] = set()  # small CONST slots: graph constants and values below
        self.derived: set[int] = set()  # CONST slots computed while planning (from shapes)

    def spec(self, node: int, index: int = 0) -> TensorSpec:
        return _pick(self.specs[node], index)

    def build(self) -> Plan:
        for node, spec in zip(self.graph.placeholders, self.specs_of_placeholders()):
            self.value[(node, 0)] = self.plan.add_slot(ARG, spec)
        for node in self.graph.topo_order():
            self.visit(node)
        self._outputs()
        return self.plan

    def specs_of_placeholders(self):
        return [self.specs[n] for n in self.graph.placeholders]

    def visit(self, node: int) -> None:
        op = self.graph.op(node)
        if op == "placeholder":
            return
        if op == "constant":
            value = np.ascontiguousarray(self.graph.constant_value(node))
            self.value[(node, 0)] = self.plan.add_slot(CONST, self.spec(node), value)
            if value.size <= FOLD_MAX_ELEMENTS:
                self.known.add(self.value[(node, 0)])
        elif op == "read_variable":
            self.value[(node, 0)] = self._var_slot(self.graph.attrs(node)["var"], self.spec(node))
        elif op in _WRITES:
            self._write(node, op)
        elif self._fold(node, op):
            return
        elif op in _ALIASING and self._native(node):
            self._flush_pending(node)
            producer, index = self.graph.input_edges(node)[0]
            self.value[(node, 0)] = self.value[(producer, index)]
        elif self._defer_product(node) or self._lower_epilogue(node):
            return
        else:
            self._flush_pending(node)
            if not self._lower(node):
                self._fallback(node, _fallback_reason(self.graph, node))

    def _fold(self, node: int, op: str) -> bool:
        return fold_at_plan_time(self, node, op)

    def _defer_product(self, node: int) -> bool:
        """Hold back a matmul or conv2d whose one consumer may become its epilogue."""
        consumer = epilogue_consumer(self.graph, self.specs, node)
        if consumer is None or not self._native(node):
            return False
        self.pending[node] = consumer
        return True

    def _flush_pending(self, node: int) -> None:
        """Emit held-back products `node` reads as plain kernels (it cannot be their epilogue)."""
        for producer in self.graph.inputs(node):
            if self.pending.pop(producer, None) is not None and not _lower_product(self, producer):
                self._fallback(producer, _fallback_reason(self.graph, producer))

    def _lower_epilogue(self, node: int) -> bool:
        """Lower `node` as the epilogue of the held-back product it reads, if it can be."""
        products = [p for p in self.graph.inputs(node) if self.pending.get(p) == node]
        if len(products) != 1 or not self._native(node):
            return False
        expression = _elementwise_entries(self, node)
        if expression is None:
            return False
        entries, result = expression
        product = products[0]
        shape = tuple(self.spec(product).shape)
        edges = self.graph.input_edges(node)
        inputs = tuple(None if p == product else epilogue_operand(self._operand(p, i), shape)
                       for p, i in edges)
        if inputs.count(None) != [p for p, _ in edges].count(product):
            return False  # an operand the GEMM's rows cannot index: the plain path emits both
        if not _lower_product(self, product, Epilogue(inputs, tuple(entries), result), node):
            return False  # still pending: the plain path emits it
        del self.pending[product]
        return True

    def _var_slot(self, key: str, spec: TensorSpec) -> int:
        if key in self.current_var:
            return self.current_var[key]
        slot = self.plan.add_slot(VAR, spec, key)
        self.plan.var_slots[key] = slot
        self.current_var[key] = slot
        return slot

    def _write(self, node: int, op: str) -> None:
        key = self.graph.attrs(node)["var"]
        var = self.graph.captures[key]
        spec = TensorSpec(var._value.shape, self.spec(*self.graph.input_edges(node)[0]).dtype)
        current = self._var_slot(key, spec)  # read by assign_add/sub; checked for all
        target = self.plan.add_slot(VAR_OUT, spec, key)
        value = self._operand(*self.graph.input_edges(node)[0])
        ins = [value] if op == "assign" else [Operand(current, spec.shape, spec.dtype.np_dtype),
                                                value]
        entry = Entry(_WRITES[op], (), tuple(range(len(ins))), spec.dtype.np_dtype)
        kernel = ElementwiseKernel(self._kernel_name(op), spec.shape, ins, [entry],
                                   [(0, Operand(target, spec.shape, spec.dtype.np_dtype))])
        self._add_kernel(kernel, [node])
        self.current_var[key] = target
        self.plan.var_writes.append((key, target))

    def _operand(self, producer: int, index: int) -> Operand:
        spec = self.spec(producer, index)
        return Operand(self.value[(producer, index)], tuple(spec.shape), spec.dtype.np_dtype)

    def _kernel_name(self, op: str) -> str:
        self.kernels += 1
        return f"k{self.kernels}_{op}"

    def _add_kernel(self, kernel, nodes: list[int]) -> None:
        self.plan.steps.append(kernel)
        self.plan.kernel_nodes[kernel.name] = nodes

    def _native(self, node: int) -> bool:
        specs = [self.spec(p, i) for p, i in self.graph.input_edges(node)]
        out = self.specs[node]
        outs = [out] if isinstance(out, TensorSpec) else list(out)
        # Data-dependent shapes (boolean_mask, where) are known only at run time: everything
        # they reach runs on NumPy.
        return all(native_dtype(s.dtype.np_dtype) and None not in s.shape for s in specs + outs)

    def _lower(self, node: int) -> bool:
        op = self.graph.op(node)
        opdef = REGISTRY[op]
        lower = _OP_LOWERINGS.get(op) or _LOWERINGS.get(opdef.kind)
        return bool(lower and self._native(node) and lower(self, node))

    def _result_slot(self, node: int, index: int = 0) -> int:
        role = OUT if (node, index) in self.graph.outputs else TEMP
        slot = self.plan.add_slot(role, self.spec(node, index))
        self.value[(node, index)] = slot
        return slot

    def _fallback(self, node: int, reason: str) -> None:
        ins = [(self.value[(p, i)], tuple(self.spec(p, i).shape))
               for p, i in self.graph.input_edges(node)]
        out = self.specs[node]
        count = 1 if isinstance(out, TensorSpec) else len(out)
        outs = []
        for index in range(count):
            slot = self.plan.add_slot(DYNAMIC, self.spec(node, index))
            self.value[(node, index)] = slot
            outs.append(slot)
        self.plan.steps.append(PyCall(node, self.graph.op(node), dict(self.graph.attrs(node)),
                                      ins, outs, reason, not isinstance(out, TensorSpec)))

    def _outputs(self) -> None:
        self.plan.outputs = [(self.value[(n, i)], tuple(self.spec(n, i).shape))
                             for n, i in self.graph.outputs]


def _fallback_reason(graph: Graph, node: int) -> str:
    opdef = REGISTRY[graph.op(node)]
    if opdef.kind is OpKind.ELEMENTWISE:
        return "no native lowering for these dtypes"
    return f"{opdef.kind.value} op without a native kernel"


def _elementwise_entries(builder: _Builder, node: int) -> tuple[list[Entry], int] | None:
    """The expression of an elementwise or `fused` node and its result entry (None: no IR)."""
    graph = builder.graph
    op = graph.op(node)
    spec = builder.specs[node]
    if not isinstance(spec, TensorSpec) or REGISTRY[op].kind is not OpKind.ELEMENTWISE:
        return None
    if op == "fused":
        attrs = graph.attrs(node)
        return _fused_entries(builder, node, attrs["body"]), attrs["outputs"][0]
    in_dtypes = tuple(builder.spec(p, i).dtype.np_dtype for p, i in graph.input_edges(node))
    attrs = tuple(sorted(graph.attrs(node).items()))
    if not lowers(op, attrs, in_dtypes, spec.dtype.np_dtype):
        return None
    return [Entry(op, attrs, tuple(range(len(in_dtypes))), spec.dtype.np_dtype)], 0


def _lower_elementwise(builder: _Builder, node: int) -> bool:
    graph = builder.graph
    op = graph.op(node)
    spec = builder.specs[node]
    expression = _elementwise_entries(builder, node)
    if expression is None:
        return False
    entries, out_entry = expression
    ins = [builder._operand(p, i) for p, i in graph.input_edges(node)]
    slot = builder._result_slot(node)
    out = Operand(slot, tuple(spec.shape), spec.dtype.np_dtype)
    kernel = ElementwiseKernel(builder._kernel_name(op if op != "fused" else "fused"),
                               tuple(spec.shape), ins, entries, [(out_entry, out)])
    builder._add_kernel(kernel, [node])
    return True


def _fused_entries(builder: _Builder, node: int, body: tuple) -> list[Entry]:
    specs = [builder.spec(p, i) for p, i in builder.graph.input_edges(node)]
    entries = []
    for op, attrs, args in body:
        spec = REGISTRY[op].infer(*[specs[a] for a in args], **dict(attrs))
        specs.append(spec)
        entries.append(Entry(op, tuple(sorted(attrs.items())), tuple(args),
                             spec.dtype.np_dtype))
    return entries


def _lower_matmul(builder: _Builder, node: int, epilogue: Epilogue | None = None,
                  consumer: int | None = None) -> bool:
    """A GEMM kernel for `node`; with an epilogue it writes `consumer`'s result instead."""
    graph = builder.graph
    spec = builder.specs[node]
    (pa, ia), (pb, ib) = graph.input_edges(node)
    a, b = builder._operand(pa, ia), builder._operand(pb, ib)
    if spec.dtype.np_dtype.kind != "f" or spec.dtype.np_dtype.itemsize not in (4, 8):
        return False
    batch_shape = tuple(spec.shape[:-2])
    batch = int(np.prod(batch_shape, dtype=np.int64))
    batched = []
    for operand in (a, b):
        own = operand.shape[:-2]
        if int(np.prod(own, dtype=np.int64)) == 1:
            batched.append(False)
        elif (1,) * (len(batch_shape) - len(own)) + tuple(own) == batch_shape:
            batched.append(True)
        else:
            return False  # partial batch broadcasting: NumPy does it
    attrs = graph.attrs(node)
    m, n = spec.shape[-2:]
    k = a.shape[-2] if attrs["transpose_a"] else a.shape[-1]
    written = node if consumer is None else consumer
    out = Operand(builder._result_slot(written), tuple(spec.shape), spec.dtype.np_dtype)
    kernel = MatmulKernel(builder._kernel_name("matmul"), a, b, out, m, n, k, batch,
                          attrs["transpose_a"], attrs["transpose_b"], *batched, epilogue)
    builder._add_kernel(kernel, [node] if consumer is None else [node, consumer])
    return True


def _lower_product(builder: _Builder, node: int, epilogue: Epilogue | None = None,
                   consumer: int | None = None) -> bool:
    """The GEMM-backed kernels of a held-back matmul or conv2d, with `epilogue` if given."""
    lower = _lower_matmul if builder.graph.op(node) == "matmul" else plan_conv
    return lower(builder, node, epilogue, consumer)


def _lower_reduction(builder: _Builder, node: int) -> bool:
    graph = builder.graph
    opdef = REGISTRY[graph.op(node)]
    lower = opdef.lower
    x = builder._operand(*graph.input_edges(node)[0])
    spec = builder.specs[node]
    attrs = graph.attrs(node)
    if not isinstance(lower, Reduction) or lower.combine not in COMBINERS or lower.prologue:
        return False
    if x.dtype.kind != "f" or spec.dtype.np_dtype != x.dtype or "axis" not in attrs:
        return False
    blocks = split_axes(x.shape, tuple(attrs["axis"]))
    if blocks is None:
        return False
    out = Operand(builder._result_slot(node), tuple(spec.shape), spec.dtype.np_dtype)
    kernel = ReductionKernel(builder._kernel_name(graph.op(node)), x, out, *blocks,
                             lower.combine, lower.identity, lower.epilogue)
    builder._add_kernel(kernel, [node])
    return True


_LOWERINGS = {OpKind.ELEMENTWISE: _lower_elementwise, OpKind.MATMUL: _lower_matmul,
              OpKind.REDUCTION: _lower_reduction}


_OP_LOWERINGS = {FORWARD: plan_softmax_xent, BACKWARD: plan_softmax_xent, "conv2d": plan_conv,
                 "conv2d_backprop_filter": plan_conv, "conv2d_backprop_input": plan_conv,
                 "max_pool2d": plan_max_pool, "max_pool2d_grad": plan_max_pool,
                 "argmax": plan_arg, "argmin": plan_arg, **MOVEMENT_LOWERINGS,
                 "softmax": plan_softmax, "log_softmax": plan_softmax,
                 "one_hot": plan_one_hot, "gather": plan_gather, "gather_grad": plan_gather_grad,
                 "avg_pool2d": plan_avg_pool, "avg_pool2d_grad": plan_avg_pool}


def register_lowering(kind: OpKind | str, lower) -> None:
    """Add the planner for one op kind, or one op by name (`lower(builder, node) -> bool`)."""
    if isinstance(kind, str):
        _OP_LOWERINGS[kind] = lower
    else:
        _LOWERINGS[kind] = lower


def build_plan(graph: Graph, arg_specs: list[TensorSpec]) -> Plan:
    """The plan of `graph` for arguments of `arg_specs` (concrete shapes)."""
    from fuseflow.compiler.passes.plan_memory import plan_memory

    plan = _Builder(graph, arg_specs).build()
    plan_memory(plan)
    return plan
