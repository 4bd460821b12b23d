"""Helpers of the Layer base class: input shapes from constructor arguments, shapes of inputs,
values recorded on graph nodes, and constructor arguments a config must cover."""

from __future__ import annotations

import inspect

from fuseflow.core import nest
from fuseflow.core.shape import TensorShape, TensorSpec


def batch_input_shape(kwargs: dict) -> tuple | None:
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])
    shape = kwargs.get("input_shape")
    if shape is None and kwargs.get("input_dim") is not None:
        shape = (kwargs["input_dim"],)
    if shape is None:
        return None
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return (kwargs.get("batch_size"), *shape)


def shapes_of(inputs):
    if isinstance(inputs, list | tuple | dict):
        return nest.map_structure(
            lambda t: TensorShape(t.shape) if hasattr(t, "shape") else None, inputs)
    return TensorShape(inputs.shape) if hasattr(inputs, "shape") else None


def spec(shape, dtype):
    return TensorSpec(tuple(shape), dtype)


def as_shape_structure(input_shape):
    """A shape (tuple/TensorShape) or a list of shapes, with dims as ints/None."""
    if isinstance(input_shape, TensorShape):
        return tuple(input_shape)
    if isinstance(input_shape, list | tuple) and input_shape and all(
            isinstance(s, list | tuple | TensorShape) for s in input_shape):
        return [tuple(s) for s in input_shape]
    return tuple(input_shape)


def node_value(node, what: str):
    def shape(t):
        return tuple(t.shape)

    if what == "output_shape":
        return nest.map_structure(shape, node.outputs)
    first = node.call_args[0] if node.call_args else None
    return nest.map_structure(shape, first)


def extra_init_args(cls: type) -> list[str]:
    params = inspect.signature(cls.__init__).parameters
    return [n for n, p in params.items() if n not in ("self", "trainable", "name", "dtype",
                                                        "dynamic")
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
