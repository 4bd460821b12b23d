"""Depthwise 2-D convolution (NHWC, filters [kh, kw, in_channels, multiplier]) and its backprops.

Output channel `c * multiplier + m` convolves input channel `c` with filter `[:, :, c, m]`. As
with conv2d, the three ops are closed under differentiation.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import binary_operands
from fuseflow.core.ops._windows import (
    Window,
    check_image,
    known_equal,
    pad_image,
    scatter_taps,
    window,
    windows,
)
from fuseflow.core.ops.conv import _check_filter, _static_dims, conv_attrs
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor

_FWD, _BP_INPUT, _BP_FILTER = ("depthwise_conv2d", "depthwise_conv2d_backprop_input",
                               "depthwise_conv2d_backprop_filter")


def _out_channels(c, m):
    return None if c is None or m is None else c * m


def _check_channels(op: str, channels, w_shape) -> None:
    if not known_equal(channels, w_shape[2]):
        raise InvalidArgumentError(op, f"input depth {channels} does not match the filter's "
                                   f"in_channels {w_shape[2]} (filter {list(w_shape)})")


def _check_dy(op: str, dy_shape, win: Window, w_shape) -> None:
    channels = _out_channels(w_shape[2], w_shape[3])
    if not (all(known_equal(a, b) for a, b in zip(dy_shape[1:3], win.out))
            and known_equal(dy_shape[3], channels)):
        raise InvalidArgumentError(op, f"`out_backprop` has shape {list(dy_shape)} but the "
                                   f"forward output is [batch, {win.out[0]}, {win.out[1]}, "
                                   f"{channels}]")


def _patches(x: np.ndarray, win: Window) -> np.ndarray:
    return windows(pad_image(x, win.pads), win)  # (n, oh, ow, kh, kw, c)


# -- forward ------------------------------------------------------------------------------------

def _depthwise_infer(x: TensorSpec, w: TensorSpec, *, strides, padding, dilations) -> TensorSpec:
    check_image(_FWD, x)
    _check_filter(_FWD, w, x, "filter")
    _check_channels(_FWD, x.shape[3], w.shape)
    win = window(_FWD, x.shape[1:3], w.shape[:2], strides, padding, dilations)
    return TensorSpec((x.shape[0], *win.out, _out_channels(w.shape[2], w.shape[3])), x.dtype)


def _depthwise_impl(x, w, *, strides, padding, dilations):
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("bad operand shapes")  # inference explains it (see op_error)
    win = window(_FWD, x.shape[1:3], w.shape[:2], strides, padding, dilations)
    out = np.einsum("nhwijc,ijcm->nhwcm", _patches(x, win), w, optimize=True)
    return out.reshape(*out.shape[:3], -1).astype(x.dtype, copy=False)


def _depthwise_grad(g, y, x, w, **attrs):
    return (bind(_BP_INPUT, w, g, input_shape=tuple(x.shape[1:]), **attrs),
            bind(_BP_FILTER, x, g, filter_shape=tuple(w.shape), **attrs))


define_op(_FWD, kind=OpKind.CONV, infer=_depthwise_infer, impl=_depthwise_impl,
          grad=_depthwise_grad)


# -- backprop to the input -----------------------------------------------------------------------

def _bp_input_infer(w: TensorSpec, dy: TensorSpec, *, input_shape, strides, padding,
                    dilations) -> TensorSpec:
    check_image(_BP_INPUT, dy, "out_backprop")
    _check_filter(_BP_INPUT, w, dy, "filter")
    _check_channels(_BP_INPUT, input_shape[2], w.shape)
    win = window(_BP_INPUT, input_shape[:2], w.shape[:2], strides, padding, dilations)
    _check_dy(_BP_INPUT, dy.shape, win, w.shape)
    return TensorSpec((dy.shape[0], *input_shape), dy.dtype)


def _bp_input_impl(w, dy, *, input_shape, strides, padding, dilations):
    win = window(_BP_INPUT, input_shape[:2], w.shape[:2], strides, padding, dilations)
    _check_dy(_BP_INPUT, dy.shape, win, w.shape)
    dy5 = dy.reshape(*dy.shape[:3], w.shape[2], w.shape[3])
    dpatch = np.einsum("nhwcm,ijcm->ijnhwc", dy5, w, optimize=True).astype(dy.dtype, copy=False)
    parts = ((i, j, dpatch[i, j]) for i, j in win.taps)
    return scatter_taps(parts, dy.shape[0], input_shape, win, dy.dtype)


def _bp_input_grad(g, dx, w, dy, *, input_shape, **attrs):
    return (bind(_BP_FILTER, g, dy, filter_shape=tuple(w.shape), **attrs),
            bind(_FWD, g, w, **attrs))


define_op(_BP_INPUT, kind=OpKind.CONV, infer=_bp_input_infer, impl=_bp_input_impl,
          grad=_bp_input_grad)


# -- backprop to the filter ----------------------------------------------------------------------

def _bp_filter_infer(x: TensorSpec, dy: TensorSpec, *, filter_shape, strides, padding,
                     dilations) -> TensorSpec:
    check_image(_BP_FILTER, x)
    check_image(_BP_FILTER, dy, "out_backprop")
    _check_channels(_BP_FILTER, x.shape[3], filter_shape)
    win = window(_BP_FILTER, x.shape[1:3], filter_shape[:2], strides, padding, dilations)
    _check_dy(_BP_FILTER, dy.shape, win, filter_shape)
    return TensorSpec(tuple(filter_shape), x.dtype)


def _bp_filter_impl(x, dy, *, filter_shape, strides, padding, dilations):
    win = window(_BP_FILTER, x.shape[1:3], filter_shape[:2], strides, padding, dilations)
    _check_dy(_BP_FILTER, dy.shape, win, filter_shape)
    if x.shape[3] != filter_shape[2]:
        raise ValueError("input depth does not match the filter")
    dy5 = dy.reshape(*dy.shape[:3], *filter_shape[2:])
    dw = np.einsum("nhwijc,nhwcm->ijcm", _patches(x, win), dy5, optimize=True)
    return dw.astype(x.dtype, copy=False)


def _bp_filter_grad(g, dw, x, dy, *, filter_shape, **attrs):
    return (bind(_BP_INPUT, g, dy, input_shape=tuple(x.shape[1:]), **attrs),
            bind(_FWD, x, g, **attrs))


define_op(_BP_FILTER, kind=OpKind.CONV, infer=_bp_filter_infer, impl=_bp_filter_impl,
          grad=_bp_filter_grad)


# -- public API -------------------------------------------------------------------------------

@export("nn.depthwise_conv2d")
def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None) -> Tensor:
    """Depthwise 2-D convolution: each input channel gets its own `multiplier` filters.

    Args:
        filter: [filter_height, filter_width, in_channels, channel_multiplier].
        strides: a list of 4 ints [1, sh, sw, 1] (an int or a pair is accepted too).
        padding: "SAME", "VALID" or explicit [[0, 0], [top, bottom], [left, right], [0, 0]].
    """
    x, w = binary_operands(input, filter, _FWD)
    return bind(_FWD, x, w, name=name, **conv_attrs(_FWD, strides, padding, dilations,
                                                      data_format))


@export("nn.depthwise_conv2d_backprop_input")
def depthwise_conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,
                                    data_format="NHWC", dilations=None, name=None) -> Tensor:
    """Gradient of `depthwise_conv2d` with respect to its input."""
    w, dy = binary_operands(filter, out_backprop, _BP_INPUT)
    sizes = _static_dims(_BP_INPUT, input_sizes, "input_sizes")
    attrs = conv_attrs(_BP_INPUT, strides, padding, dilations, data_format)
    return bind(_BP_INPUT, w, dy, input_shape=sizes[1:], name=name, **attrs)


@export("nn.depthwise_conv2d_backprop_filter")
def depthwise_conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                                     data_format="NHWC", dilations=None, name=None) -> Tensor:
    """Gradient of `depthwise_conv2d` with respect to its filter."""
    x, dy = binary_operands(input, out_backprop, _BP_FILTER)
    sizes = _static_dims(_BP_FILTER, filter_sizes, "filter_sizes")
    attrs = conv_attrs(_BP_FILTER, strides, padding, dilations, data_format)
    return bind(_BP_FILTER, x, dy, filter_shape=sizes, name=name, **attrs)
