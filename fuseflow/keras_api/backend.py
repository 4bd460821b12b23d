"""Keras backend helpers: float type, epsilon, unique object names, shapes, `clear_session`.

`ff` is the fuseflow op namespace as layers see it (`ff.nn.conv2d`, `ff.reshape`): names are
looked up in the export table when first used, so a layer does not care which op family module
defines an op.
"""

from __future__ import annotations

import collections
import re

from fuseflow.core import ops as _ops  # noqa: F401  (registers every op before lookups)
from fuseflow.core.api import members

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_name_uids: collections.defaultdict[str, int] = collections.defaultdict(int)


class _Namespace:
    """Ops exported under one TF namespace, resolved on first use and then cached."""

    def __init__(self, namespace: str, **children: _Namespace):
        self._namespace = namespace
        self.__dict__.update(children)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        found = members(self._namespace).get(name)
        if found is None:
            where = f"fuseflow.{self._namespace}." if self._namespace else "fuseflow."
            raise AttributeError(f"{where}{name} is not defined")
        self.__dict__[name] = found
        return found


ff = _Namespace("", nn=_Namespace("nn"), math=_Namespace("math"), random=_Namespace("random"),
                linalg=_Namespace("linalg"))


def floatx() -> str:
    """The default float type of layers and weights, 'float32' unless set."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type ('float16', 'float32' or 'float64')."""
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value!r}. Expected one of "
                         "'float16', 'float32', 'float64'")
    _FLOATX = str(value)


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """'channels_last': the only layout fuseflow's conv layers implement."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Only 'channels_last' is supported."""
    if data_format != "channels_last":
        raise ValueError(f"Unsupported `data_format`: {data_format!r}; fuseflow implements "
                         "'channels_last' only")


def clear_session() -> None:
    """Reset the automatic layer/model names (`dense`, `dense_1`, ... start over)."""
    _name_uids.clear()


def unique_object_name(base: str, zero_based: bool = True) -> str:
    """`base`, `base_1`, `base_2`, ... (or `base_1`, `base_2`, ... when not zero-based)."""
    number = _name_uids[base]
    _name_uids[base] = number + 1
    if not zero_based:
        return f"{base}_{number + 1}"
    return base if number == 0 else f"{base}_{number}"


def to_snake_case(name: str) -> str:
    """`ConvModule` -> `conv_module`, `Conv2D` -> `conv2d`, `PReLU` -> `p_re_lu`."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    words = re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()
    return "private" + words if words.startswith("_") else words


def int_shape(x) -> tuple | None:
    """The static shape of a tensor or variable as a tuple (None for unknown dims)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    return tuple(shape)


def is_keras_tensor(x) -> bool:
    """True for the symbolic tensors the functional API passes between layers."""
    from fuseflow.keras_api.layers.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)
