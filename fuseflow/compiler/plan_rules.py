"""Planning rules that look at the graph around a node: shape queries folded into plan
constants, and which elementwise consumer a matmul or conv2d can take as its epilogue."""

from __future__ import annotations

import numpy as np

from fuseflow.core.registry import REGISTRY, OpKind
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

_SHAPE_OPS = ("shape", "size", "rank")  # known once the plan's shapes are concrete
_WRITES = ("assign", "assign_add", "assign_sub")
FOLD_MAX_ELEMENTS = 1024  # plan-time values derived from shapes stay small
CONST = "const"


def fold_at_plan_time(builder, node: int, op: str) -> bool:
    """Evaluate a shape query, or a small pure op on values so computed, while planning.

    The plan's input shapes are concrete, so `shape`, `size` and `rank` (and the slicing
    and arithmetic a train step does on them) are constants of the plan, not NumPy calls.
    """
    opdef = REGISTRY[op]
    spec = builder.specs[node]
    if not isinstance(spec, TensorSpec) or None in spec.shape or not opdef.pure or \
            opdef.kind is OpKind.STATE or opdef.impl is None or \
            int(np.prod(spec.shape, dtype=np.int64)) > FOLD_MAX_ELEMENTS:
        return False
    edges = builder.graph.input_edges(node)
    if op in _SHAPE_OPS:
        if len(edges) != 1 or None in builder.spec(*edges[0]).shape:
            return False
        x = builder.spec(*edges[0])
        args = [np.broadcast_to(np.zeros((), x.dtype.np_dtype), x.shape)]  # no data needed
    elif edges and all(builder.value.get(e) in builder.known for e in edges) and opdef.foldable \
            and any(builder.value[e] in builder.derived for e in edges):
        slots = [builder.plan.slots[builder.value[e]] for e in edges]
        args = [slot.payload.reshape(slot.shape) for slot in slots]
    else:
        return False
    try:
        value = np.array(opdef.impl(*args, **builder.graph.attrs(node)), order="C")  # 0-d stays
    except Exception:  # noqa: BLE001  (the op's own error is raised when it runs instead)
        return False
    if value.shape != tuple(spec.shape) or value.dtype != spec.dtype.np_dtype:
        return False
    builder._flush_pending(node)
    slot = builder.plan.add_slot(CONST, spec, value)
    builder.value[(node, 0)] = slot
    builder.known.add(slot)
    builder.derived.add(slot)
    return True


def epilogue_consumer(graph: Graph, specs: dict, node: int) -> int | None:
    """The elementwise node a GEMM-backed product (2-D matmul, conv2d) can hand its result to.

    It must be the product's only reader (the product is then never stored on its own), of the
    product's shape and dtype (the epilogue writes over the product in place).
    """
    spec = specs[node]
    if not _gemm_product(graph.op(node), spec) or node in {n for n, _ in graph.outputs}:
        return None
    readers = graph.users(node)
    if len(set(readers)) != 1:
        return None
    consumer = readers[0]
    out = specs[consumer]
    if REGISTRY[graph.op(consumer)].kind is not OpKind.ELEMENTWISE or \
            not isinstance(out, TensorSpec) or tuple(out.shape) != tuple(spec.shape) or \
            out.dtype != spec.dtype or graph.control_inputs(consumer) or \
            graph.control_users(node) or graph.control_inputs(node):
        return None
    if any(graph.op(user) in _WRITES for user in graph.users(consumer)):
        return None  # a variable update: planning folds the consumer into the in-place write
    return consumer


def _gemm_product(op: str, spec) -> bool:
    """A float result one 2-D GEMM writes: a 2-D matmul, or conv2d ([n*oh*ow, o] rows)."""
    if not isinstance(spec, TensorSpec) or spec.dtype.np_dtype.kind != "f" or \
            spec.dtype.np_dtype.itemsize not in (4, 8):
        return False
    return op == "conv2d" or (op == "matmul" and len(spec.shape) == 2)


def epilogue_operand(operand, shape: tuple[int, ...]):
    """`operand` (an Operand broadcast to `shape`) seen as [rows, columns] of the GEMM writing
    `shape` ([prod(shape[:-1]), shape[-1]]); None when its rows do not follow the GEMM's rows.
    """
    padded = (1,) * (len(shape) - len(operand.shape)) + tuple(operand.shape)
    leading = padded[:-1]
    if all(d == 1 for d in leading):
        rows = 1
    elif leading == tuple(shape[:-1]):
        rows = int(np.prod(leading, dtype=np.int64))
    else:
        return None  # broadcast over some leading axes only: not one row stride
    return type(operand)(operand.slot, (rows, padded[-1]), operand.dtype)
