"""Activation functions, by name (`"relu"`) or as functions (`activations.relu`)."""

from __future__ import annotations

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import ff


def linear(x):
    """The identity: `x`."""
    return x


def relu(x, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0):
    """max(x, 0), with an optional leaky slope `alpha`, a cap `max_value` and a `threshold`."""
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ff.nn.relu(x)
    negative_part = ff.nn.relu(ff.subtract(threshold, x)) if alpha else None
    if threshold:
        out = ff.multiply(x, ff.cast(ff.greater(x, threshold), x.dtype))
    else:
        out = ff.nn.relu(x)
    if max_value is not None:
        out = ff.minimum(out, float(max_value))
    if alpha:
        out = ff.subtract(out, ff.multiply(float(alpha), negative_part))
    return out


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return ff.math.sigmoid(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: clip(x / 6 + 0.5, 0, 1)."""
    return ff.minimum(ff.maximum(ff.add(ff.multiply(x, 1.0 / 6.0), 0.5), 0.0), 1.0)


def tanh(x):
    """Hyperbolic tangent."""
    return ff.tanh(x)


def softmax(x, axis: int = -1):
    """exp(x) / sum(exp(x)) along `axis`."""
    x = convert_to_tensor(x)
    if x.ndim <= 1:
        raise ValueError(f"softmax: cannot apply softmax to a tensor that is 1D. Received "
                         f"input shape {x.shape}")
    return ff.nn.softmax(x, axis=axis)


def log_softmax(x, axis: int = -1):
    """log(softmax(x)) computed stably."""
    return ff.nn.log_softmax(x, axis=axis)


def elu(x, alpha: float = 1.0):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    out = ff.nn.elu(x)
    if alpha == 1.0:
        return out
    return ff.where(ff.greater(x, 0.0), out, ff.multiply(alpha, out))


def selu(x):
    """Scaled exponential linear unit (self-normalizing constants)."""
    return ff.nn.selu(x)


def softplus(x):
    """log(exp(x) + 1)."""
    return ff.math.softplus(x)


def softsign(x):
    """x / (|x| + 1)."""
    return ff.nn.softsign(x)


def swish(x):
    """x * sigmoid(x)."""
    return ff.nn.swish(x)


silu = swish


def gelu(x, approximate: bool = False):
    """Gaussian error linear unit (tanh approximation when `approximate`)."""
    return ff.nn.gelu(x, approximate=approximate)


def exponential(x):
    """exp(x)."""
    return ff.exp(x)


def relu6(x):
    """min(max(x, 0), 6)."""
    return ff.minimum(ff.nn.relu(x), 6.0)


def mish(x):
    """x * tanh(softplus(x))."""
    return ff.multiply(x, ff.tanh(ff.math.softplus(x)))


_BY_NAME = {fn.__name__: fn for fn in (
    linear, relu, sigmoid, hard_sigmoid, tanh, softmax, log_softmax, elu, selu, softplus,
    softsign, swish, gelu, exponential, relu6, mish)}
_BY_NAME["silu"] = swish


def get(identifier):
    """An activation function from a name, a config dict, a callable or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation function: {identifier!r}. Expected one of "
                             f"{sorted(_BY_NAME)} or a callable.")
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation) -> str | dict:
    """The name of a built-in activation, or the config of an activation layer."""
    if activation in _BY_NAME.values():
        return next(name for name, fn in _BY_NAME.items() if fn is activation)
    if hasattr(activation, "get_config"):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    return getattr(activation, "__name__", repr(activation))


def deserialize(config, custom_objects: dict | None = None):
    """The inverse of `serialize`."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    from fuseflow.keras_api.layers import serialization

    return serialization.deserialize(config, custom_objects)
