"""Sliding 2-D windows over NHWC images, shared by convolution and pooling.

A window is described by static attrs: `ksize`, `strides`, `dilations` (pairs of ints) and
`padding` ("SAME", "VALID" or explicit `((top, bottom), (left, right))`). Forward ops read the
windows as a strided view (no copy); backward ops scatter per-tap contributions back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from fuseflow.core.errors import InvalidArgumentError, UnimplementedError
from fuseflow.core.shape import TensorSpec

Pair = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Window:
    """Where a window slides over one image: output size and padding, per spatial axis."""

    ksize: Pair
    strides: Pair
    dilations: Pair
    out: tuple  # (out_h, out_w); None where the input size is unknown
    pads: tuple[Pair, Pair]

    @property
    def taps(self) -> list[Pair]:
        """Every (i, j) offset of the kernel, in row-major order (the order ties are broken in)."""
        return [(i, j) for i in range(self.ksize[0]) for j in range(self.ksize[1])]


def _axis(op: str, size, k, stride: int, dilation: int, padding) -> tuple:
    if k is None:
        return None, (0, 0)
    span_k = (k - 1) * dilation + 1
    if padding == "SAME":
        if size is None:
            return None, (0, 0)
        out = -(-size // stride)
        total = max((out - 1) * stride + span_k - size, 0)
        return out, (total // 2, total - total // 2)
    before, after = (0, 0) if padding == "VALID" else padding
    if size is None:
        return None, (before, after)
    if size + before + after < span_k:
        raise InvalidArgumentError(op, f"Computed output size would be negative: a window of "
                                   f"{span_k} does not fit in a padded input of "
                                   f"{size + before + after}")
    return (size + before + after - span_k) // stride + 1, (before, after)


def window(op: str, in_hw, ksize, strides: Pair, padding, dilations: Pair = (1, 1)) -> Window:
    """The window geometry of an NHWC op over spatial size `in_hw` (dims may be None)."""
    (oh, ph), (ow, pw) = (
        _axis(op, in_hw[a], ksize[a], strides[a], dilations[a],
              padding if isinstance(padding, str) else padding[a]) for a in (0, 1))
    return Window(tuple(ksize), strides, dilations, (oh, ow), (ph, pw))


def pad_image(x: np.ndarray, pads, value=0) -> np.ndarray:
    """`x` with `pads` rows/columns of `value` around each image (no copy when unpadded)."""
    (t, b), (left, r) = pads
    if not (t or b or left or r):
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + t + b, w + left + r, c), value, dtype=x.dtype)
    out[:, t:t + h, left:left + w] = x
    return out


def windows(xp: np.ndarray, win: Window) -> np.ndarray:
    """Read-only view (n, out_h, out_w, kh, kw, c) of every window of padded images `xp`."""
    n, _, _, c = xp.shape
    s = xp.strides
    (sh, sw), (dh, dw) = win.strides, win.dilations
    return as_strided(xp, (n, *win.out, *win.ksize, c),
                      (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]), writeable=False)


def tap(xp: np.ndarray, win: Window, i: int, j: int) -> np.ndarray:
    """View (n, out_h, out_w, c) of the pixels kernel offset (i, j) sees at each output."""
    (sh, sw), (dh, dw), (oh, ow) = win.strides, win.dilations, win.out
    return xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]


def scatter_taps(parts: Iterable[tuple[int, int, np.ndarray]], n: int, in_hwc, win: Window,
                 dtype) -> np.ndarray:
    """Sum each tap's (n, out_h, out_w, c) contribution `(i, j, part)` onto the unpadded input."""
    (t, b), (left, r) = win.pads
    h, w, c = in_hwc
    full = np.zeros((n, h + t + b, w + left + r, c), dtype=dtype)
    for i, j, part in parts:
        tap(full, win, i, j)[...] += part
    if full.shape[1:3] == (h, w):
        return full
    return np.ascontiguousarray(full[:, t:t + h, left:left + w])


# -- canonical attrs (public wrappers call these before bind) -------------------------------------

def spatial_pair(op: str, name: str, value, default: int = 1) -> Pair:
    """An int, or a list of 1, 2 or 4 ints (NHWC), as an (h, w) pair of positive ints."""
    if value is None:
        return (default, default)
    values = [int(value)] if isinstance(value, int | np.integer) else [int(v) for v in value]
    if len(values) == 4:
        if values[0] != 1 or values[3] != 1:
            raise InvalidArgumentError(op, f"`{name}` must be 1 in the batch and depth "
                                       f"dimensions, got {list(values)}")
        values = values[1:3]
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) < 1:
        raise InvalidArgumentError(op, f"`{name}` must be a positive int or a list of 1, 2 or 4 "
                                   f"positive ints, got {value!r}")
    return (values[0], values[1])


def canonical_padding(op: str, padding):
    """"SAME", "VALID" or explicit ((top, bottom), (left, right)) from TF's spellings."""
    if isinstance(padding, str):
        if padding.upper() in ("SAME", "VALID"):
            return padding.upper()
        raise InvalidArgumentError(op, f"padding must be 'SAME', 'VALID' or a list of "
                                   f"[before, after] pairs, got {padding!r}")
    try:
        pairs = [tuple(int(v) for v in pair) for pair in padding]
    except TypeError:
        raise InvalidArgumentError(op, f"padding must be 'SAME', 'VALID' or a list of "
                                   f"[before, after] pairs, got {padding!r}") from None
    if len(pairs) == 4 and pairs[0] == pairs[3] == (0, 0):
        pairs = pairs[1:3]
    if len(pairs) != 2 or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise InvalidArgumentError(op, f"explicit padding must be [[0, 0], [top, bottom], "
                                   f"[left, right], [0, 0]] of non-negative ints, got {padding!r}")
    return (pairs[0], pairs[1])


def check_data_format(op: str, data_format) -> None:
    """Only channels-last layouts run (as on TF's CPU kernels)."""
    if data_format not in (None, "NHWC", "NWC", "channels_last"):
        raise UnimplementedError(op, f"data_format {data_format!r} is not supported; "
                                 f"use 'NHWC' (channels last)")


def check_image(op: str, x: TensorSpec, what: str = "input") -> None:
    """`x` must be a float NHWC image batch."""
    if x.rank != 4:
        raise InvalidArgumentError(op, f"`{what}` must be 4-dimensional [batch, height, width, "
                                   f"channels], got shape {list(x.shape)}")
    if not x.dtype.is_floating:
        raise InvalidArgumentError(op, f"`{what}` must be a float tensor, got {x.dtype.name}")


def known_equal(a, b) -> bool:
    """Dims agree, or one of them is unknown."""
    return a is None or b is None or a == b
