"""The optimized graph of a traced graph, kept on disk so a warm start skips the passes.

The key hashes the traced graph's full content (nodes, edges, constants' bytes, names and
sources), the passes that run, the fuseflow sources' digest, and the code of any op or pass
defined outside fuseflow. An entry is the optimized graph as JSON (`fuseflow.graph.serialize`:
data only, loading runs no code from the file) behind the kernel cache's checksum; a corrupt or
unreadable entry is discarded with a warning and the passes run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from collections.abc import Mapping

from fuseflow.compiler import cache
from fuseflow.core.registry import REGISTRY
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph
from fuseflow.graph.serialize import graph_from_dict, graph_to_dict

MAGIC = b"FFGRAPH1\n"
# Graphs carrying more constant bytes than this are not cached: hashing and storing the
# payloads would cost more than the passes save.
MAX_CONSTANT_BYTES = 1 << 22
stats = {"hits": 0, "stored": 0}


def _value_text(value, ops: set[str]) -> str:
    """Attribute values as stable text; subgraphs by their content, never by address."""
    if isinstance(value, Graph):
        return "graph{" + graph_text(value, ops) + "}"
    if isinstance(value, tuple | list):
        return "(" + ",".join(_value_text(v, ops) for v in value) + ")"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k!r}:{_value_text(v, ops)}" for k, v in value.items()) + "}"
    return repr(value)


def _constant_text(node: int, value) -> str:
    if value.dtype == object:  # strings: the bytes would be pointers
        return f"const {node}|object|{value.shape}|{value.tolist()!r}"
    digest = hashlib.blake2b(value.tobytes(), digest_size=16).hexdigest()
    return f"const {node}|{value.dtype.str}|{value.shape}|{digest}"


def _spec_text(spec) -> str:
    if isinstance(spec, TensorSpec):
        return f"{spec.shape!r}:{spec.dtype.name}:{spec.name}"
    return "(" + ",".join(_spec_text(s) for s in spec) + ")"


def _attrs_text(attrs, ops: set[str]) -> str:
    text = repr(tuple(attrs.items()))
    # A subgraph's repr names it without its content: spell such attrs out in full.
    return _value_text(attrs, ops) if "<Graph " in text else text


def graph_text(graph: Graph, ops: set[str]) -> str:
    """Everything a pass may read of `graph`, as text; the ops it uses are added to `ops`."""
    parts = [graph.name, repr(graph.placeholders), repr(graph.outputs), str(graph._next_id),
             repr(sorted(graph._names.items())), repr(sorted(graph.captures))]
    for node, data in graph.nx.nodes(data=True):
        ops.add(data["op"])
        parts.append(f"{node}|{data['op']}|{_attrs_text(data['attrs'], ops)}|"
                     f"{_spec_text(data['spec'])}|{data['name']}|{data['source']}")
    parts += [f"{u}>{v}|{k!r}|{d!r}" for u, v, k, d in graph.nx.edges(keys=True, data=True)]
    parts += [_constant_text(n, v) for n, v in sorted(graph._constants.items())]
    return "\n".join(parts)


def cacheable(graph: Graph) -> bool:
    """Whether `graph` is worth a cache entry (its constants are small enough to store)."""
    return sum(v.nbytes for v in graph._constants.values()) <= MAX_CONSTANT_BYTES


def pipeline_key(graph: Graph, passes: tuple, verify: bool) -> str:
    """The cache key of running `passes` on `graph`."""
    ops: set[str] = set()
    text = graph_text(graph, ops)
    for body_op in _fused_ops(graph):
        ops.add(body_op)
    flags = ";".join(_op_text(REGISTRY[op]) for op in sorted(ops) if op in REGISTRY)
    outside = cache.lowering_digest(list(passes))
    version = getattr(sys.modules.get("fuseflow"), "__version__", "unknown")
    names = ",".join(getattr(p, "__module__", "?") + "." + getattr(p, "__qualname__", repr(p))
                     for p in passes)
    head = f"pipeline|fuseflow-{version}|code-{cache.code_digest()}|{names}|{outside}|{verify}"
    return hashlib.sha256(f"{head}\n{flags}\n{text}".encode()).hexdigest()


_op_texts: dict[int, tuple[object, str]] = {}


def _op_text(opdef) -> str:
    """An op's flags and the digest of its rules when defined outside fuseflow (memoized)."""
    known = _op_texts.get(id(opdef))
    if known is None or known[0] is not opdef:
        text = f"{opdef.name}:{opdef.kind.value}:{opdef.num_outputs}:{opdef.pure}:" \
               f"{opdef.foldable}:{opdef.commutative}:{cache.lowering_digest([opdef])}"
        known = _op_texts[id(opdef)] = (opdef, text)
    return known[1]


def _fused_ops(graph: Graph) -> set[str]:
    """Ops named inside `fused` bodies of a traced graph (rare: only when re-optimizing)."""
    found = set()
    for node in graph.nx.nodes:
        if graph.op(node) == "fused":
            found.update(op for op, _, _ in graph.attrs(node)["body"])
    return found


def entry_path(key: str) -> str:
    """Where the entry of `key` lives: beside the kernel cache's objects."""
    return os.path.join(cache.cache_dir(), "graphs", key[:2], key + ".json")


def load(key: str, traced: Graph) -> Graph | None:
    """The stored optimized graph of `key` (its variables: the traced graph's), or None."""
    path = entry_path(key)
    payload = cache.read_entry(path, MAGIC, "optimized graph")
    if payload is None:
        return None
    try:
        graph = graph_from_dict(json.loads(payload), traced.captures)
    except Exception as error:  # noqa: BLE001 - any unreadable entry is recomputed
        warnings.warn(f"fuseflow: discarding unreadable optimized graph cache entry {path}: "
                      f"{error}", stacklevel=3)
        _remove(path)
        return None
    stats["hits"] += 1
    return graph


def store(key: str, optimized: Graph) -> None:
    """Write `optimized` under `key`; graphs JSON cannot hold (Python callables) are skipped."""
    try:
        text = json.dumps(graph_to_dict(optimized))
    except (TypeError, ValueError):
        return
    cache.write_entry(entry_path(key), text.encode("utf-8"), MAGIC, "optimized graph")
    stats["stored"] += 1


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
