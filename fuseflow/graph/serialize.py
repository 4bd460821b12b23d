"""Graphs to JSON and back, exactly: DTypes, tuples, specs, subgraphs, constant payloads.

Variables are stored by key (with their spec, for reference); loading finds them in the given
mapping or among live variables registered by that key.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Mapping

import networkx as nx
import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.dtypes import DType
from fuseflow.core.ops.state import lookup_variable
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Attrs, Graph

FORMAT = "fuseflow.graph/1"


def encode_value(value):
    """A JSON-able form of an attribute value, tagged so decoding restores its type."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, DType):
        return {"dtype": value.name}
    if isinstance(value, TensorSpec):
        return {"spec": [encode_value(value.shape), value.dtype.name, value.name]}
    if isinstance(value, tuple):
        return {"tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return {"list": [encode_value(v) for v in value]}
    if isinstance(value, Mapping):
        return {"map": [[k, encode_value(v)] for k, v in value.items()]}
    if isinstance(value, Graph):
        return {"graph": graph_to_dict(value)}
    if isinstance(value, np.ndarray):
        return {"array": encode_array(value)}
    if isinstance(value, np.generic):
        return {"scalar": encode_array(np.asarray(value))}
    raise TypeError(f"cannot serialize attribute value {value!r} of type {type(value).__name__} "
                    f"(Python callables such as py_function's do not round-trip)")


def decode_value(value):
    if not isinstance(value, dict):
        return value
    (tag, body), = value.items()
    if tag == "dtype":
        return dtypes.as_dtype(body)
    if tag == "spec":
        return TensorSpec(decode_value(body[0]), body[1], body[2])
    if tag == "tuple":
        return tuple(decode_value(v) for v in body)
    if tag == "list":
        return [decode_value(v) for v in body]
    if tag == "map":  # op attributes, also those nested in `fused` bodies: hashable again
        return Attrs({k: decode_value(v) for k, v in body})
    if tag == "graph":
        return graph_from_dict(body, _variables_in_scope)
    if tag == "array":
        return decode_array(body)
    if tag == "scalar":
        return decode_array(body)[()]
    raise ValueError(f"unknown tag {tag!r} in graph JSON")


def encode_array(array: np.ndarray) -> dict:
    if array.dtype == object:
        return {"dtype": "string", "shape": list(array.shape),
                "list": [v.decode("latin-1") if isinstance(v, bytes) else str(v)
                         for v in array.reshape(-1)]}
    data = array if array.flags.c_contiguous else array.copy(order="C")  # keeps 0-d
    return {"dtype": data.dtype.str, "shape": list(data.shape),
            "base64": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(body: dict) -> np.ndarray:
    if body["dtype"] == "string":
        return np.array(body["list"], dtype=object).reshape(body["shape"])
    raw = base64.b64decode(body["base64"])
    return np.frombuffer(raw, dtype=np.dtype(body["dtype"])).reshape(body["shape"]).copy()


def _encode_node(data: dict) -> dict:
    return {"op": data["op"], "attrs": encode_value(dict(data["attrs"])),
            "spec": encode_value(data["spec"]), "name": data["name"], "source": data["source"]}


def graph_to_dict(graph: Graph) -> dict:
    """A JSON-able dict of `graph`."""
    plain = nx.MultiDiGraph()
    for node, data in graph.nx.nodes(data=True):
        plain.add_node(node, **_encode_node(data))
    for u, v, key, data in graph.nx.edges(keys=True, data=True):
        plain.add_edge(u, v, key=key, **data)
    return {
        "format": FORMAT,
        "name": graph.name,
        "nx": nx.node_link_data(plain, edges="edges"),
        "placeholders": graph.placeholders,
        "outputs": [list(o) for o in graph.outputs],
        "captures": {k: [list(v.shape), v.dtype.name] for k, v in graph.captures.items()},
        "constants": [[n, encode_array(v)] for n, v in sorted(graph._constants.items())],
        "next_id": graph._next_id,
        "names": sorted(graph._names.items()),
    }


_variables_in_scope: Mapping | None = None  # for subgraphs decoded inside `graph_from_dict`


def graph_from_dict(data: dict, variables: Mapping | None = None) -> Graph:
    """Rebuild a Graph from `graph_to_dict` output (variables found in `variables` first)."""
    global _variables_in_scope
    if data.get("format") != FORMAT:
        raise ValueError(f"not a fuseflow graph (format {data.get('format')!r})")
    saved, _variables_in_scope = _variables_in_scope, variables
    try:
        graph = Graph(data["name"])
        for item in data["nx"]["nodes"]:
            node = item["id"]
            graph.nx.add_node(node, op=item["op"], attrs=Attrs(decode_value(item["attrs"])),
                              name=item["name"], source=item["source"])
            graph.set_spec(node, decode_value(item["spec"]))
        for item in data["nx"]["edges"]:
            edge = {k: v for k, v in item.items() if k not in ("source", "target", "key")}
            graph.nx.add_edge(item["source"], item["target"], key=item["key"], **edge)
    finally:
        _variables_in_scope = saved
    graph.placeholders = list(data["placeholders"])
    graph.outputs = [tuple(o) for o in data["outputs"]]
    graph.captures = {k: _find_variable(k, variables) for k in data["captures"]}
    graph._constants = {n: decode_array(v) for n, v in data["constants"]}
    graph._next_id = data["next_id"]
    graph._names = Counter(dict(data["names"]))
    return graph


def _find_variable(key: str, variables: Mapping | None):
    if variables is not None and key in variables:
        return variables[key]
    return lookup_variable(key)


def to_json(graph: Graph) -> str:
    return json.dumps(graph_to_dict(graph))


def from_json(text: str, variables: Mapping | None = None) -> Graph:
    return graph_from_dict(json.loads(text), variables)
