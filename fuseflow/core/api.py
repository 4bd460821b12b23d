"""Public names: `@export("math.tanh", "tanh")` puts a function under `fuseflow.math.tanh` and
`fuseflow.tanh`, as TensorFlow's own export decorator does. Namespace modules read them back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_NAMESPACES: dict[str, dict[str, object]] = {}


def export(*paths: str) -> Callable[[T], T]:
    """Publish the decorated object under each dotted path ("" namespace is top level)."""

    def decorate(obj: T) -> T:
        for path in paths:
            namespace, _, name = path.rpartition(".")
            members = _NAMESPACES.setdefault(namespace, {})
            if name in members and members[name] is not obj:
                raise ValueError(f"fuseflow.{path} is exported twice")
            members[name] = obj
        return obj

    return decorate


def members(namespace: str) -> dict[str, object]:
    """Everything exported under `namespace` (e.g. "math", "nn", "" for the top level)."""
    return dict(_NAMESPACES.get(namespace, {}))
