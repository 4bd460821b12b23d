"""Weight regularizers: penalties added to the loss (`l1`, `l2`, `l1_l2`)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff


class Regularizer:
    """Base class: `regularizer(weight)` returns a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = ff.multiply(self.l1, ff.reduce_sum(ff.abs(x)))
        if self.l2:
            term = ff.multiply(self.l2, ff.reduce_sum(ff.multiply(x, x)))
            penalty = term if penalty is None else ff.add(penalty, term)
        return ff.zeros_like(ff.reduce_sum(x)) if penalty is None else penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|x|)`."""

    def __init__(self, l1: float = 0.01, **kwargs):
        super().__init__(l1=kwargs.pop("l", l1))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(x ** 2)`."""

    def __init__(self, l2: float = 0.01, **kwargs):
        super().__init__(l2=kwargs.pop("l", l2))

    def get_config(self) -> dict:
        return {"l2": self.l2}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An L1L2 regularizer (both penalties default to 0.01)."""
    return L1L2(l1=l1, l2=l2)


l1, l2 = L1, L2
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from a name, a config dict, an instance, a callable or None."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown regularizer: {identifier!r}. Expected one of "
                             f"'l1', 'l2', 'l1_l2'.")
        return _BY_NAME[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer) -> dict | None:
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    return getattr(regularizer, "__name__", repr(regularizer))


def deserialize(config, custom_objects: dict | None = None):
    """The inverse of `serialize`."""
    if isinstance(config, str):
        return (custom_objects or {}).get(config) or get(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or {"L1": L1, "L2": L2, "L1L2": L1L2}.get(name)
    if cls is None:
        raise ValueError(f"Unknown regularizer: {name!r}")
    return cls.from_config(config.get("config", {}))
