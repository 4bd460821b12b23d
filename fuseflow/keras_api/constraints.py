"""Weight constraints, applied to a variable after each optimizer update.

`add_weight(constraint=...)` stores the constraint on the variable as `variable.constraint`;
optimizers call it and assign the result.
"""

from __future__ import annotations

from fuseflow.keras_api import backend
from fuseflow.keras_api.backend import ff


class Constraint:
    """Base class: `constraint(w)` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)


def _norms(w, axis):
    return ff.sqrt(ff.reduce_sum(ff.multiply(w, w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale weights whose norm along `axis` exceeds `max_value`."""

    def __init__(self, max_value: float = 2, axis: int = 0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = ff.minimum(ff.maximum(norms, 0.0), float(self.max_value))
        return ff.multiply(w, ff.divide(desired, ff.add(norms, backend.epsilon())))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clamp weights to be non-negative."""

    def __call__(self, w):
        return ff.nn.relu(w)


class UnitNorm(Constraint):
    """Scale weights to unit norm along `axis`."""

    def __init__(self, axis: int = 0):
        self.axis = axis

    def __call__(self, w):
        return ff.divide(w, ff.add(_norms(w, self.axis), backend.epsilon()))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep the norm along `axis` within [min_value, max_value] (moved by `rate`)."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: int = 0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        clipped = ff.minimum(ff.maximum(norms, float(self.min_value)), float(self.max_value))
        desired = ff.add(ff.multiply(self.rate, clipped), ff.multiply(1.0 - self.rate, norms))
        return ff.multiply(w, ff.divide(desired, ff.add(norms, backend.epsilon())))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm, "MaxNorm": MaxNorm, "NonNeg": NonNeg,
            "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}


def get(identifier):
    """A constraint from a name, a config dict, an instance, a callable or None."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown constraint: {identifier!r}. Expected one of "
                             f"{sorted(k for k in _BY_NAME if k.islower())}.")
        return _BY_NAME[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


def serialize(constraint) -> dict | None:
    if constraint is None:
        return None
    if isinstance(constraint, Constraint):
        return {"class_name": type(constraint).__name__, "config": constraint.get_config()}
    return getattr(constraint, "__name__", repr(constraint))


def deserialize(config, custom_objects: dict | None = None):
    """The inverse of `serialize`."""
    if isinstance(config, str):
        return (custom_objects or {}).get(config) or get(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown constraint: {name!r}")
    return cls.from_config(config.get("config", {}))
