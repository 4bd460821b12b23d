"""pad: CONSTANT, REFLECT and SYMMETRIC modes, and the mirror-pad gradient."""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

_MIRROR_OFFSET = {"REFLECT": 1, "SYMMETRIC": 0}  # REFLECT leaves out the edge element


def _pad_infer(x: TensorSpec, *, paddings, mode, constant_values) -> TensorSpec:
    if len(paddings) != x.rank or any(lo < 0 or hi < 0 for lo, hi in paddings):
        raise InvalidArgumentError("pad", f"paddings must be {x.rank} non-negative [before, "
                                   f"after] pairs for shape {list(x.shape)}, got "
                                   f"{[list(p) for p in paddings]}")
    if mode in _MIRROR_OFFSET:
        limit = _MIRROR_OFFSET[mode]
        for (lo, hi), d in zip(paddings, x.shape):
            if d is not None and max(lo, hi) > d - limit:
                raise InvalidArgumentError("pad", f"{mode} paddings must be less than"
                                           f"{'' if limit else ' or equal to'} the dimension "
                                           f"size: {[lo, hi]} vs {d} (shape {list(x.shape)})")
    return TensorSpec(tuple(None if d is None else d + lo + hi
                            for (lo, hi), d in zip(paddings, x.shape)), x.dtype)


def _pad_impl(x, *, paddings, mode, constant_values):
    if mode == "CONSTANT":
        return np.pad(x, paddings, mode="constant", constant_values=constant_values)
    return np.pad(x, paddings, mode=mode.lower())


def _pad_grad(g, y, x, *, paddings, mode, constant_values):
    if mode == "CONSTANT":
        from fuseflow.core.ops.slicing import _strided

        index = tuple((lo, None if hi == 0 else -hi, 1) for lo, hi in paddings)
        return (_strided(g, index),)
    return (bind("mirror_pad_grad", g, paddings=paddings, mode=mode),)


define_op("pad", kind=OpKind.MOVEMENT, infer=_pad_infer, impl=_pad_impl, grad=_pad_grad)


def _mirror_grad_infer(g: TensorSpec, *, paddings, mode) -> TensorSpec:
    return TensorSpec(tuple(None if d is None else d - lo - hi
                            for (lo, hi), d in zip(paddings, g.shape)), g.dtype)


def _mirror_grad_impl(g, *, paddings, mode):
    offset = _MIRROR_OFFSET[mode]
    for axis, (lo, hi) in enumerate(paddings):
        moved = np.moveaxis(g, axis, 0)
        n = moved.shape[0]
        d = n - lo - hi
        out = moved[lo:n - hi].copy()
        # Each padded element is a copy of one inside: fold its gradient back onto that one.
        if lo:
            out[offset:offset + lo] += moved[:lo][::-1]
        if hi:
            out[d - offset - hi:d - offset] += moved[n - hi:][::-1]
        g = np.moveaxis(out, 0, axis)
    return g


define_op("mirror_pad_grad", kind=OpKind.OPAQUE, infer=_mirror_grad_infer,
          impl=_mirror_grad_impl,
          # The adjoint of the adjoint: mirror padding again.
          grad=lambda h, y, g, *, paddings, mode: (
              bind("pad", h, paddings=paddings, mode=mode, constant_values=0),))


@export("pad")
def pad(tensor, paddings, mode: str = "CONSTANT", constant_values=0, name=None) -> Tensor:
    """Pad `tensor` by `paddings[i] = [before, after]` on each axis."""
    x = convert_to_tensor(tensor)
    if isinstance(paddings, Tensor):
        paddings = paddings.numpy()
    pairs = tuple((int(lo), int(hi)) for lo, hi in np.asarray(paddings).reshape(-1, 2))
    mode = mode.upper()
    if mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise InvalidArgumentError("pad", f"mode must be CONSTANT, REFLECT or SYMMETRIC, got "
                                   f"{mode!r}")
    if isinstance(constant_values, Tensor):
        constant_values = constant_values.numpy()
    value = np.asarray(constant_values).item()
    value = float(value) if x.dtype.is_floating else value
    _pad_infer(x.spec, paddings=pairs, mode=mode, constant_values=value)  # NumPy is lenient
    return bind("pad", x, paddings=pairs, mode=mode, constant_values=value, name=name)
