"""Weight initializers, by object or by name (`"glorot_uniform"`, `"he_normal"`, ...).

Initial values are drawn with NumPy at build time (never inside a traced step); `seed=` makes
an initializer deterministic, otherwise NumPy's global generator is used, so
`keras.utils.set_random_seed` (which seeds NumPy) makes whole models reproducible.
"""

from __future__ import annotations

import math

import numpy as np

from fuseflow.core.dtypes import as_dtype
from fuseflow.core.tensor import Tensor, wrap
from fuseflow.keras_api import backend


class Initializer:
    """Base class: `initializer(shape, dtype)` returns a tensor."""

    def __call__(self, shape, dtype=None, **kwargs) -> Tensor:
        shape = tuple(int(d) for d in shape)
        dtype = as_dtype(dtype or backend.floatx())
        return wrap(np.asarray(self._sample(shape, dtype), dtype=dtype.np_dtype))

    def _sample(self, shape: tuple[int, ...], dtype) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)


class _Seeded(Initializer):
    def __init__(self, seed: int | None = None):
        self.seed = seed

    def _rng(self):
        return np.random if self.seed is None else np.random.default_rng(self.seed)


class Zeros(Initializer):
    """All zeros."""

    def _sample(self, shape, dtype):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def _sample(self, shape, dtype):
        return np.ones(shape)


class Constant(Initializer):
    """Every element equal to `value` (or a broadcastable array)."""

    def __init__(self, value=0):
        self.value = value

    def _sample(self, shape, dtype):
        return np.broadcast_to(np.asarray(self.value), shape).copy()

    def get_config(self):
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value}


class RandomNormal(_Seeded):
    """Normal(mean, stddev)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def _sample(self, shape, dtype):
        return self._rng().normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """Uniform on [minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def _sample(self, shape, dtype):
        return self._rng().uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(rng, stddev: float, shape) -> np.ndarray:
    """Standard normal values redrawn until within two standard deviations, times `stddev`."""
    out = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(out) > 2.0
    while np.any(bad):
        out[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev


class TruncatedNormal(_Seeded):
    """Normal(mean, stddev) with values beyond two standard deviations redrawn."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def _sample(self, shape, dtype):
        return self.mean + _truncated_normal(self._rng(), self.stddev, shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """(fan_in, fan_out): a conv kernel (..., in, out) counts its receptive field too."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class VarianceScaling(_Seeded):
    """Samples scaled by `scale / n`, n the fan in, fan out or their mean."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: `scale` must be positive, received {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid `mode` {mode!r}; expected 'fan_in', "
                             "'fan_out' or 'fan_avg'")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: invalid `distribution` {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def _sample(self, shape, dtype):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            # 0.879...: the stddev of a unit normal truncated to [-2, 2]
            return _truncated_normal(rng, math.sqrt(variance) / 0.87962566103423978, shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, size=shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _scaling(scale: float, mode: str, distribution: str, doc: str) -> type:
    def __init__(self, seed: int | None = None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type("_", (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                         "__doc__": doc})


GlorotUniform = _scaling(1.0, "fan_avg", "uniform", "Uniform on ±sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _scaling(1.0, "fan_avg", "truncated_normal",
                        "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).")
HeUniform = _scaling(2.0, "fan_in", "uniform", "Uniform on ±sqrt(6 / fan_in).")
HeNormal = _scaling(2.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(2/fan_in).")
LecunUniform = _scaling(1.0, "fan_in", "uniform", "Uniform on ±sqrt(3 / fan_in).")
LecunNormal = _scaling(1.0, "fan_in", "truncated_normal",
                       "Truncated normal, stddev sqrt(1 / fan_in).")
for _cls, _name in ((GlorotUniform, "GlorotUniform"), (GlorotNormal, "GlorotNormal"),
                    (HeUniform, "HeUniform"), (HeNormal, "HeNormal"),
                    (LecunUniform, "LecunUniform"), (LecunNormal, "LecunNormal")):
    _cls.__name__ = _cls.__qualname__ = _name


class Orthogonal(_Seeded):
    """A (scaled) orthogonal matrix, from the QR decomposition of a normal sample."""

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def _sample(self, shape, dtype):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have rank >= 2, received {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # makes the decomposition unique (uniform over O(n))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def _sample(self, shape, dtype):
        if len(shape) != 2:
            raise ValueError(f"Identity: the shape must be 2-D, received {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}

zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, \
    HeNormal
lecun_uniform, lecun_normal, orthogonal, identity = LecunUniform, LecunNormal, Orthogonal, \
    Identity


def get(identifier):
    """An initializer from a name, a config dict, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer) or (callable(identifier)
                                               and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls()
    raise ValueError(f"Unknown initializer: {identifier!r}. Expected one of "
                     f"{sorted(_BY_NAME)}, an Initializer or a callable.")


def serialize(initializer) -> dict | None:
    """`{"class_name": ..., "config": ...}` of an initializer."""
    if initializer is None:
        return None
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return getattr(initializer, "__name__", repr(initializer))


def deserialize(config, custom_objects: dict | None = None):
    """The inverse of `serialize`."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_CLASS.get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown initializer: {name!r}")
    return cls.from_config(config.get("config", {})) if isinstance(cls, type) else cls
