"""Helpers shared by layer modules: argument checks and config pieces."""

from __future__ import annotations

from fuseflow.keras_api import constraints, initializers, regularizers

_SERIALIZERS = {"initializer": initializers.serialize, "regularizer": regularizers.serialize,
                "constraint": constraints.serialize}


def serialized(layer, *names: str) -> dict:
    """Config entries for `names` such as 'kernel_initializer' (by their suffix kind)."""
    config = {}
    for name in names:
        kind = name.rsplit("_", 1)[-1]
        config[name] = _SERIALIZERS[kind](getattr(layer, name))
    return config


def positive_int(layer: str, arg: str, value) -> int:
    """`value` as an int > 0, or ValueError naming the layer and argument."""
    if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
        raise ValueError(f"{layer}: `{arg}` must be a positive integer, received {arg}={value!r}")
    value = int(value)
    if value <= 0:
        raise ValueError(f"{layer}: `{arg}` must be a positive integer, received {arg}={value!r}")
    return value


def int_tuple(layer: str, arg: str, value, n: int) -> tuple[int, ...]:
    """An int or a sequence of `n` ints as a tuple of `n` positive ints."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) and v > 0 for v in values):
        raise ValueError(f"{layer}: `{arg}` must be an integer or a tuple of {n} positive "
                         f"integers, received {arg}={value!r}")
    return values


def padding_arg(layer: str, value: str, allowed=("valid", "same")) -> str:
    """Check a padding mode ('valid' or 'same'), case-insensitively."""
    mode = str(value).lower()
    if mode not in allowed:
        raise ValueError(f"{layer}: `padding` must be one of {list(allowed)}, received "
                         f"padding={value!r}")
    return mode


def rate_arg(layer: str, rate) -> float:
    """A rate in [0, 1]."""
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"{layer}: `rate` must be a float in the range [0, 1], received "
                         f"rate={rate!r}")
    return float(rate)


def data_format_arg(layer: str, value) -> str:
    """Only 'channels_last' (NHWC) is implemented."""
    if value not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' is supported, received "
                         f"data_format={value!r}")
    return "channels_last"


def normalization_axes(layer: str, axis, ndim: int) -> list[int]:
    """A normalization layer's `axis` (an int or a list) as sorted non-negative axes of an input
    of rank `ndim`; out-of-range axes are a ValueError naming the layer."""
    axes = axis if isinstance(axis, list) else [axis]
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f'Layer "{layer}": invalid axis {axis} for an input of rank {ndim}')
    return sorted(a % ndim for a in axes)
