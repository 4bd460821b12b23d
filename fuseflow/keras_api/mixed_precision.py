"""`keras.mixed_precision`: only the float32 policy for now.

Mixed precision (float16 compute with float32 variables and loss scaling) is out of scope for
this release; asking for it raises rather than silently training in float32.
"""

from __future__ import annotations

_SUPPORTED = ("float32",)


class Policy:
    """A dtype policy; only `Policy("float32")` is available."""

    def __init__(self, name: str):
        if name not in _SUPPORTED:
            raise NotImplementedError(
                f"keras.mixed_precision: policy {name!r} is not supported; fuseflow does not "
                "implement mixed precision yet (only 'float32').")
        self.name = name

    @property
    def compute_dtype(self) -> str:
        return self.name

    @property
    def variable_dtype(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f'<Policy "{self.name}">'


_global = Policy("float32")


def set_global_policy(policy) -> None:
    """Set the global policy; anything but "float32" raises NotImplementedError."""
    global _global
    _global = policy if isinstance(policy, Policy) else Policy(str(policy))


def global_policy() -> Policy:
    """The global dtype policy (always float32 here)."""
    return _global
