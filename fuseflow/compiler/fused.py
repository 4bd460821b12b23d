"""The `fused` op: a group of elementwise ops the fusion pass collapsed into one node.

Its attrs hold the group as data: `body`, a tuple of `(op, attrs, args)` where `args` index the
node's inputs first and then earlier body entries, and `outputs`, the body positions the node
returns. `infer` and `impl` evaluate the body op by op, so every executor can run a fused graph.
"""

from __future__ import annotations

from fuseflow.core.registry import REGISTRY, OpKind, define_op


def _evaluate(values: list, body: tuple, outputs: tuple, step) -> tuple:
    values = list(values)
    for op, attrs, args in body:
        values.append(step(REGISTRY[op], [values[a] for a in args], dict(attrs)))
    n_in = len(values) - len(body)
    return tuple(values[n_in + k] for k in outputs)


def _infer(*specs, body: tuple, outputs: tuple):
    result = _evaluate(specs, body, outputs, lambda opdef, args, attrs: opdef.infer(*args, **attrs))
    return result[0] if len(result) == 1 else result


def _impl(*arrays, body: tuple, outputs: tuple):
    result = _evaluate(arrays, body, outputs, lambda opdef, args, attrs: opdef.impl(*args, **attrs))
    return result[0] if len(result) == 1 else result


define_op("fused", kind=OpKind.ELEMENTWISE, infer=_infer, impl=_impl, num_outputs=0)


def fused_name(body: tuple) -> str:
    """`fused_mul_add_tanh`: the ops of a body in order (at most 6 named)."""
    ops = [op for op, _, _ in body]
    return "fused_" + "_".join(ops[:6]) + ("_etc" if len(ops) > 6 else "")
