"""`fuseflow.compiler.explain(f, *args)`: what the compiler made of a function, and why.

The report lists the native kernels (named after the ops they fuse, with the user lines they
come from, estimated FLOPs and bytes moved), why fusion stopped at each kernel boundary, the
ops that run as NumPy fallbacks inside the plan, and where compile time went.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from fuseflow.compiler.fused import fused_name
from fuseflow.compiler.inspect import Compilation, PassRecord
from fuseflow.core.registry import REGISTRY, OpKind
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

_VALUE_SOURCES = ("placeholder", "constant", "read_variable")
_COST_FREE = ("identity", "stop_gradient", "broadcast_to", "broadcast_like")


@dataclass
class KernelRecord:
    """One native kernel: a name listing its ops, their user lines, estimated FLOPs and bytes."""

    name: str
    ops: list[str]
    sources: list[str]
    flops: int
    bytes: int
    kernel: str = ""  # the kernel's symbol in the LLVM module
    shape: tuple = ()
    time_us: float | None = None  # µs per call, measured by a timed build (`explain_timed`)


@dataclass
class BoundaryRecord:
    """An edge between two kernels (or a kernel and a fallback) and why it was not fused."""

    producer: str
    consumer: str
    reason: str
    source: str | None = None


@dataclass
class FallbackRecord:
    """An op that runs its NumPy implementation inside the plan, and why."""

    op: str
    name: str
    reason: str
    source: str | None = None


@dataclass
class Explanation:
    """The compiler's account of one function: kernels, boundaries, fallbacks, timings."""

    function: str
    kernels: list[KernelRecord] = field(default_factory=list)
    boundaries: list[BoundaryRecord] = field(default_factory=list)
    fallbacks: list[FallbackRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    cache: str = "unknown"  # where the machine code came from: memory, disk or compiled
    passes: list[PassRecord] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data (lists, dicts, numbers, strings), e.g. for JSON."""
        return {"function": self.function, "kernels": [asdict(k) for k in self.kernels],
                "boundaries": [asdict(b) for b in self.boundaries],
                "fallbacks": [asdict(f) for f in self.fallbacks], "timings": dict(self.timings),
                "cache": self.cache, "passes": [p.to_dict() for p in self.passes]}

    def text(self, max_kernels: int | None = None, boundaries: bool = True) -> str:
        """The report as aligned text; `max_kernels` keeps the costliest kernels only."""
        from fuseflow.compiler.explain_text import explanation_text

        return explanation_text(self, max_kernels, boundaries)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (f"<Explanation {self.function}: {len(self.kernels)} kernels, "
                f"{len(self.fallbacks)} fallbacks>")


def explain(f, *args, **kwargs) -> Explanation:
    """Compile `f` for `args` and explain the result (print it, or read its fields).

    Args:
        f: a `fuseflow.function`, a ConcreteFunction, or a plain Python function (traced here).
        *args, **kwargs: arguments like those of a real call (arrays or tensors: the kernels
            are specialised to their shapes).

    Returns:
        An Explanation: `.kernels`, `.boundaries`, `.fallbacks`, `.timings`, `.to_dict()`, and
        a readable table as `str()`.
    """
    start = time.perf_counter()
    graph, arg_specs, passes, traced_now = _trace(f, args, kwargs)
    trace_seconds = time.perf_counter() - start
    compilation = Compilation(graph, arg_specs, passes)
    plan = compilation.plan
    specs = _concrete_specs(compilation.final, compilation.arg_specs)
    report = Explanation(graph.name, passes=compilation.records)
    members = fused_members(compilation.before_fusion, compilation.final)
    report.kernels = [_kernel_record(compilation.final, specs, step, plan, members)
                      for step in plan.steps if not hasattr(step, "reason")]
    report.fallbacks = [FallbackRecord(step.op, compilation.final.node_name(step.node),
                                       step.reason, compilation.final.source(step.node))
                        for step in plan.fallbacks]
    fallback_nodes = {step.node for step in plan.fallbacks}
    together = {frozenset(nodes) for nodes in plan.kernel_nodes.values() if len(nodes) > 1}
    report.boundaries = boundaries(compilation.final, specs, fallback_nodes, together)
    report.cache, llvm_seconds, cache_seconds = _load(compilation.ir_text)
    report.timings = {"trace": trace_seconds if traced_now else 0.0,
                      "optimize": compilation.seconds.get("optimize", 0.0),
                      "plan": compilation.seconds.get("plan", 0.0),
                      "lower": compilation.seconds.get("lower", 0.0),
                      "llvm": llvm_seconds, "cache": cache_seconds}
    return report


def explain_timed(f, *args, calls: int = 20, **kwargs) -> Explanation:
    """`explain(f, *args)` with each kernel's `time_us` measured by a timed build of the plan.

    The timed build reads the clock after every kernel; it runs `calls` times (variables the
    function updates are restored afterwards) and the ordinary build is left untouched.
    """
    if not hasattr(f, "experimental_trace") and not hasattr(f, "input_specs"):
        from fuseflow.graph.function import function

        f = function(f)
    report = explain(f, *args, **kwargs)
    times = kernel_times(f, *args, calls=calls, **kwargs)
    for record in report.kernels:
        record.time_us = times.get(record.kernel)
    return report


def kernel_times(f, *args, calls: int = 20, **kwargs) -> dict[str, float]:
    """µs per call of each native kernel of compiled `f` (by kernel symbol), from a timed build."""
    from fuseflow.core.tensor import convert_to_tensor

    if hasattr(f, "experimental_trace"):
        concrete, _ = f.experimental_trace(*args, **kwargs)
        leaves = [v for _, v in f._key(args, kwargs)[2]]
    else:  # a ConcreteFunction: its tensor arguments in order
        from fuseflow.core import nest

        concrete = f
        leaves = [v for v in nest.flatten((args, kwargs)) if hasattr(v, "dtype")]
    compiled = concrete.executable()
    compiled = getattr(compiled, "executable", compiled)  # a debug-compare wrapper
    if not hasattr(compiled, "time_kernels"):
        raise ValueError(f"kernel times need a compiled function (jit_compile=True); "
                         f"{concrete.name} runs as {type(compiled).__name__}")
    arrays = [convert_to_tensor(v)._value for v in leaves]
    saved = [(v, np.array(v._value, copy=True)) for v in concrete.variables]
    try:
        return dict(compiled.time_kernels(arrays, calls))
    finally:
        for variable, value in saved:
            variable._value = value
            variable._tensor = None


def _trace(f, args: tuple, kwargs: dict):
    """(traced graph, concrete argument specs, passes, whether a trace happened now)."""
    if hasattr(f, "graph") and hasattr(f, "input_specs"):  # a ConcreteFunction
        specs = [_spec_of(a) for a in args] if args else list(f.input_specs)
        return f.graph, specs, getattr(f, "passes", None), False
    if not hasattr(f, "experimental_trace"):
        from fuseflow.graph.function import function

        f = function(f)
    before = f.experimental_get_tracing_count()
    concrete, specs = f.experimental_trace(*args, **kwargs)
    return concrete.graph, specs, f.passes, f.experimental_get_tracing_count() > before


def _spec_of(value) -> TensorSpec:
    from fuseflow.graph.signature import leaf_spec

    return leaf_spec(value)


def _concrete_specs(graph: Graph, arg_specs: list[TensorSpec]) -> dict:
    from fuseflow.compiler.plan import concrete_specs

    return concrete_specs(graph, arg_specs)


def _load(ir_text: str) -> tuple[str, float, float]:
    """Compile or fetch the module: (where it came from, LLVM seconds, cache seconds)."""
    from fuseflow.compiler import cache
    from fuseflow.compiler.codegen import get_codegen
    from fuseflow.compiler.gemm import load_libraries_for
    from fuseflow.compiler.threadpool import get_pool

    codegen = get_codegen()
    get_pool(codegen)  # kernels link against the pool's entry
    load_libraries_for(codegen, ir_text)  # and GEMMs against the library's drivers
    before = dict(cache.stats)
    start = time.perf_counter()
    cache.load_or_compile(codegen, ir_text)
    seconds = time.perf_counter() - start
    if cache.stats["compiled"] > before["compiled"]:
        return "compiled", seconds, 0.0
    where = "disk" if cache.stats["disk_hits"] > before["disk_hits"] else "memory"
    return where, 0.0, seconds


# -- kernels --------------------------------------------------------------------------------
def fused_members(before: Graph, after: Graph) -> dict[int, list[tuple[int, str | None]]]:
    """Each `fused` node of `after` -> (node, source) of the nodes of `before` it replaced.

    Fusion adds one node per group, in the order its `find_groups` lists them; a group is
    matched only when its ops are the fused body's ops, so a changed fusion pass costs source
    lines in the report, never wrong ones.
    """
    try:
        from fuseflow.compiler.passes.fuse import find_groups

        groups = find_groups(before)
    except Exception:  # noqa: BLE001  (a fusion pass without find_groups: no member lines)
        return {}
    new = [n for n in after.nodes() if n not in before and after.op(n) == "fused"]
    out = {}
    for node, members in zip(new, groups):
        body_ops = [op for op, _, _ in after.attrs(node)["body"]]
        if [before.op(m) for m in members] == body_ops:
            out[node] = [(m, before.source(m)) for m in members]
    return out


def _kernel_record(graph: Graph, specs: dict, kernel, plan, members: dict) -> KernelRecord:
    nodes = plan.kernel_nodes.get(kernel.name, [])
    ops, sources, flops, moved = [], [], 0, 0
    for node in nodes:
        node_ops = _ops_of(graph, node)
        ops += node_ops
        lines = [s for _, s in members.get(node, [])] or [graph.source(node)]
        sources += [s for s in dict.fromkeys(lines) if s and s not in sources]
        flops += estimate_flops(graph, specs, node, node_ops)
        moved += estimate_bytes(graph, specs, node)
    name = fused_name(tuple((op, None, ()) for op in ops)) if len(ops) > 1 else \
        (ops[0] if ops else kernel.name)
    out = _spec(specs, nodes[-1]) if nodes else None  # None: a kernel that only writes state
    shape = tuple(out.shape) if out is not None else ()
    return KernelRecord(name, ops, sources, flops, moved, kernel.name, shape)


def _ops_of(graph: Graph, node: int) -> list[str]:
    if graph.op(node) == "fused":
        return [op for op, _, _ in graph.attrs(node)["body"]]
    return [graph.op(node)]


def _spec(specs: dict, node: int, index: int = 0):
    spec = specs[node]
    return spec if isinstance(spec, TensorSpec) else (spec[index] if spec else None)


def _numel(spec) -> int:
    return int(np.prod(spec.shape, dtype=np.int64)) if spec is not None else 0


def estimate_flops(graph: Graph, specs: dict, node: int, ops: list[str]) -> int:
    """Floating-point operations: 2mnk per matmul, 2 per tap per conv output, one per
    element per op otherwise."""
    out = _spec(specs, node)
    kind = REGISTRY[graph.op(node)].kind
    if kind is OpKind.MATMUL:
        a = _spec(specs, *graph.input_edges(node)[0])
        k = a.shape[-2] if graph.attrs(node).get("transpose_a") else a.shape[-1]
        return 2 * _numel(out) * int(k)
    if kind is OpKind.CONV:
        return _conv_flops(graph, specs, node)
    if kind is OpKind.REDUCTION and graph.inputs(node):
        return _numel(_spec(specs, *graph.input_edges(node)[0]))
    counted = [op for op in ops if op not in _COST_FREE]
    return _numel(out) * max(len(counted), 1 if kind is OpKind.ELEMENTWISE and counted else 0)


def _conv_flops(graph: Graph, specs: dict, node: int) -> int:
    """2 * (output elements) * (taps per output): the same for a conv and its two gradients."""
    op, attrs = graph.op(node), graph.attrs(node)
    edges = graph.input_edges(node)
    if op.endswith("backprop_filter"):
        kh, kw, c = attrs["filter_shape"][:3]
    else:
        kh, kw, c = _spec(specs, *edges[0 if op.endswith("backprop_input") else 1]).shape[:3]
    y = _spec(specs, node) if op in ("conv2d", "depthwise_conv2d") else _spec(specs, *edges[-1])
    per_output = int(kh) * int(kw) * (1 if op.startswith("depthwise") else int(c))
    return 2 * _numel(y) * per_output


def estimate_bytes(graph: Graph, specs: dict, node: int) -> int:
    """Bytes read and written: each distinct input once, plus the outputs."""
    total = 0
    for producer, index in dict.fromkeys(graph.input_edges(node)):
        spec = _spec(specs, producer, index)
        total += _numel(spec) * spec.dtype.np_dtype.itemsize
    outs = specs[node] if isinstance(specs[node], tuple) else (specs[node],)
    return total + sum(_numel(s) * s.dtype.np_dtype.itemsize for s in outs)


# -- boundaries ------------------------------------------------------------------------------
def boundaries(graph: Graph, specs: dict, fallback_nodes: set[int],
               together: set[frozenset] = frozenset()) -> list[BoundaryRecord]:
    """Every value passed from one computed node to another, and why it left a kernel.

    `together`: node sets one kernel computes (a matmul and its epilogue): no boundary inside.
    """
    outputs = {n for n, _ in graph.outputs}
    found = []
    for consumer in graph.topo_order():
        if graph.op(consumer) in _VALUE_SOURCES:
            continue
        for producer in dict.fromkeys(graph.inputs(consumer)):
            if graph.op(producer) in _VALUE_SOURCES or \
                    any(producer in nodes and consumer in nodes for nodes in together):
                continue
            reason = boundary_reason(graph, specs, producer, consumer, fallback_nodes, outputs)
            found.append(BoundaryRecord(_label(graph, producer), _label(graph, consumer), reason,
                                        graph.source(consumer)))
    return found


def boundary_reason(graph: Graph, specs: dict, producer: int, consumer: int,
                    fallback_nodes: set[int], outputs: set[int]) -> str:
    """Why `producer`'s value is written to memory before `consumer` reads it."""
    p_op, c_op = graph.op(producer), graph.op(consumer)
    p_kind, c_kind = REGISTRY[p_op].kind, REGISTRY[c_op].kind
    for node, op in ((producer, p_op), (consumer, c_op)):
        if node in fallback_nodes:
            return f"opaque op: {op} runs on NumPy"
    readers = graph.users(producer)
    if len(readers) > 1:
        other = next(r for r in readers if r != consumer)
        return f"second consumer: {_label(graph, other)} also reads it"
    if producer in outputs:
        return f"{p_op} is also a function output"
    if p_kind is OpKind.REDUCTION and c_kind is OpKind.REDUCTION:
        same = graph.attrs(producer).get("axis") == graph.attrs(consumer).get("axis")
        return "reduction feeds a reduction" if same else "reduction over another axis"
    for op, kind in ((c_op, c_kind), (p_op, p_kind)):
        if kind in (OpKind.OPAQUE, OpKind.MOVEMENT, OpKind.CONV, OpKind.STATE):
            return f"opaque op: {op} is not elementwise ({kind.value})"
    p_shape, c_shape = _spec(specs, producer).shape, _spec(specs, consumer).shape
    if c_kind is OpKind.REDUCTION:
        return "reduction input: producer not fused into the reduction"
    if p_kind in (OpKind.MATMUL, OpKind.REDUCTION):
        return f"{p_kind.value} result materialized before its elementwise consumer"
    if p_shape != c_shape:
        return f"shape change: {_dims(p_shape)} -> {_dims(c_shape)}"
    return "fusion pass kept them apart"


def _dims(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _label(graph: Graph, node: int) -> str:
    return f"%{node} {graph.node_name(node)}"


def short_source(source: str | None) -> str:
    """`file.py:12` from a full `path/file.py:12`."""
    return os.path.basename(source) if source else "?"
