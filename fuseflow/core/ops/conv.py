"""2-D convolution (NHWC images, HWIO filters) and its two backprop ops.

The forward op is im2col + one matmul: the windows are a strided view, copied once into a
(pixels, kh*kw*c) matrix that BLAS multiplies with the filter. The three ops are closed under
differentiation (each one's gradient is written with the other two), so second derivatives work.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind, gradient_needed
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import binary_operands
from fuseflow.core.ops._windows import (
    Window,
    canonical_padding,
    check_data_format,
    check_image,
    known_equal,
    pad_image,
    scatter_taps,
    spatial_pair,
    window,
    windows,
)
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor


def _check_filter(op: str, w: TensorSpec, x: TensorSpec, what: str = "filters") -> None:
    if w.rank != 4:
        raise InvalidArgumentError(op, f"`{what}` must be 4-dimensional [filter_height, "
                                   f"filter_width, in_channels, out_channels], got shape "
                                   f"{list(w.shape)}")
    if w.dtype != x.dtype:
        raise InvalidArgumentError(op, f"`{what}` has dtype {w.dtype.name} but the input has "
                                   f"{x.dtype.name}")


def _check_out(op: str, dy_shape, win: Window, channels) -> None:
    """`out_backprop` must have exactly the forward op's output shape."""
    if not (all(known_equal(a, b) for a, b in zip(dy_shape[1:3], win.out))
            and known_equal(dy_shape[3], channels)):
        raise InvalidArgumentError(op, f"`out_backprop` has shape {list(dy_shape)} but the "
                                   f"forward output is [batch, {win.out[0]}, {win.out[1]}, "
                                   f"{channels}]")


# -- conv2d ---------------------------------------------------------------------------------------

def _conv2d_infer(x: TensorSpec, w: TensorSpec, *, strides, padding, dilations) -> TensorSpec:
    check_image("conv2d", x)
    _check_filter("conv2d", w, x)
    if not known_equal(x.shape[3], w.shape[2]):
        raise InvalidArgumentError("conv2d", f"input depth {x.shape[3]} does not match the "
                                   f"filter's in_channels {w.shape[2]} (input {list(x.shape)}, "
                                   f"filters {list(w.shape)})")
    win = window("conv2d", x.shape[1:3], w.shape[:2], strides, padding, dilations)
    return TensorSpec((x.shape[0], *win.out, w.shape[3]), x.dtype)


def im2col(x: np.ndarray, win: Window) -> np.ndarray:
    """Every window of `x` as one row: (n * out_h * out_w, kh * kw * c)."""
    cols = windows(pad_image(x, win.pads), win)
    return cols.reshape(-1, win.ksize[0] * win.ksize[1] * x.shape[3])


def _conv2d_impl(x, w, *, strides, padding, dilations):
    if w.ndim != 4 or x.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("bad operand shapes")  # inference explains it (see op_error)
    win = window("conv2d", x.shape[1:3], w.shape[:2], strides, padding, dilations)
    out = im2col(x, win) @ w.reshape(-1, w.shape[3])
    return out.reshape(x.shape[0], *win.out, w.shape[3])


def _conv2d_grad(g, y, x, w, **attrs):
    gx = (conv2d_backprop_input_op(w, g, input_shape=tuple(x.shape[1:]), **attrs)
          if gradient_needed(0) else None)
    gw = (conv2d_backprop_filter_op(x, g, filter_shape=tuple(w.shape), **attrs)
          if gradient_needed(1) else None)
    return gx, gw


define_op("conv2d", kind=OpKind.CONV, infer=_conv2d_infer, impl=_conv2d_impl, grad=_conv2d_grad)


# -- conv2d_backprop_input: d conv2d / d input --------------------------------------------------

def _backprop_input_infer(w: TensorSpec, dy: TensorSpec, *, input_shape, strides, padding,
                          dilations) -> TensorSpec:
    op = "conv2d_backprop_input"
    check_image(op, dy, "out_backprop")
    _check_filter(op, w, dy)
    if not known_equal(input_shape[2], w.shape[2]):
        raise InvalidArgumentError(op, f"input depth {input_shape[2]} does not match the "
                                   f"filter's in_channels {w.shape[2]}")
    win = window(op, input_shape[:2], w.shape[:2], strides, padding, dilations)
    _check_out(op, dy.shape, win, w.shape[3])
    return TensorSpec((dy.shape[0], *input_shape), dy.dtype)


def _backprop_input_impl(w, dy, *, input_shape, strides, padding, dilations):
    op = "conv2d_backprop_input"
    win = window(op, input_shape[:2], w.shape[:2], strides, padding, dilations)
    _check_out(op, dy.shape, win, w.shape[3])
    n, (kh, kw, c, cout) = dy.shape[0], w.shape
    dy_mat = dy.reshape(-1, cout)
    if c >= 16:
        # One (pixels, c) product per tap: each scatter then adds whole contiguous pixels.
        per_tap = np.matmul(dy_mat, w.reshape(kh * kw, c, cout).transpose(0, 2, 1))
        per_tap = per_tap.reshape(kh, kw, n, *win.out, c)
        parts = ((i, j, per_tap[i, j]) for i, j in win.taps)
        return scatter_taps(parts, n, input_shape, win, dy.dtype)
    # Few channels: scatter channel-major planes (c * n images of one channel), where a tap's
    # rows are long contiguous runs, then move channels last once.
    planes = (w.reshape(-1, cout) @ dy_mat.T).reshape(kh, kw, c * n, *win.out, 1)
    parts = ((i, j, planes[i, j]) for i, j in win.taps)
    dx = scatter_taps(parts, c * n, (*input_shape[:2], 1), win, dy.dtype)
    return np.ascontiguousarray(dx.reshape(c, n, *input_shape[:2]).transpose(1, 2, 3, 0))


def _backprop_input_grad(g, dx, w, dy, *, input_shape, **attrs):
    # dx = A_w^T dy is bilinear in (w, dy): <g, A_w^T dy> = <conv2d(g, w), dy>.
    return (conv2d_backprop_filter_op(g, dy, filter_shape=tuple(w.shape), **attrs),
            bind("conv2d", g, w, **attrs))


define_op("conv2d_backprop_input", kind=OpKind.CONV, infer=_backprop_input_infer,
          impl=_backprop_input_impl, grad=_backprop_input_grad)


def conv2d_backprop_input_op(w, dy, *, input_shape, strides, padding, dilations) -> Tensor:
    return bind("conv2d_backprop_input", w, dy, input_shape=input_shape, strides=strides,
                padding=padding, dilations=dilations)


# -- conv2d_backprop_filter: d conv2d / d filters -------------------------------------------------

def _backprop_filter_infer(x: TensorSpec, dy: TensorSpec, *, filter_shape, strides, padding,
                           dilations) -> TensorSpec:
    op = "conv2d_backprop_filter"
    check_image(op, x)
    check_image(op, dy, "out_backprop")
    if not known_equal(x.shape[3], filter_shape[2]):
        raise InvalidArgumentError(op, f"input depth {x.shape[3]} does not match the filter's "
                                   f"in_channels {filter_shape[2]}")
    win = window(op, x.shape[1:3], filter_shape[:2], strides, padding, dilations)
    _check_out(op, dy.shape, win, filter_shape[3])
    return TensorSpec(tuple(filter_shape), x.dtype)


def _backprop_filter_impl(x, dy, *, filter_shape, strides, padding, dilations):
    op = "conv2d_backprop_filter"
    win = window(op, x.shape[1:3], filter_shape[:2], strides, padding, dilations)
    _check_out(op, dy.shape, win, filter_shape[3])
    if x.shape[3] != filter_shape[2]:
        raise ValueError("input depth does not match the filter")
    return (im2col(x, win).T @ dy.reshape(-1, filter_shape[3])).reshape(filter_shape)


def _backprop_filter_grad(g, dw, x, dy, *, filter_shape, **attrs):
    # dw is bilinear in (x, dy): <g, dw(x, dy)> = <conv2d(x, g), dy>.
    return (conv2d_backprop_input_op(g, dy, input_shape=tuple(x.shape[1:]), **attrs),
            bind("conv2d", x, g, **attrs))


define_op("conv2d_backprop_filter", kind=OpKind.CONV, infer=_backprop_filter_infer,
          impl=_backprop_filter_impl, grad=_backprop_filter_grad)


def conv2d_backprop_filter_op(x, dy, *, filter_shape, strides, padding, dilations) -> Tensor:
    return bind("conv2d_backprop_filter", x, dy, filter_shape=filter_shape, strides=strides,
                padding=padding, dilations=dilations)


# -- public API -------------------------------------------------------------------------------

def conv_attrs(op: str, strides, padding, dilations, data_format) -> dict:
    """Canonical (hashable) window attrs of a 2-D convolution."""
    check_data_format(op, data_format)
    return {"strides": spatial_pair(op, "strides", strides),
            "padding": canonical_padding(op, padding),
            "dilations": spatial_pair(op, "dilations", dilations)}


def _static_dims(op: str, sizes, what: str) -> tuple[int, ...]:
    if isinstance(sizes, Tensor):
        sizes = sizes.numpy().tolist()
    dims = tuple(int(d) for d in sizes)
    if len(dims) != 4:
        raise InvalidArgumentError(op, f"`{what}` must hold 4 ints, got {sizes!r}")
    return dims


@export("nn.conv2d")
def conv2d(input, filters, strides, padding, data_format: str = "NHWC", dilations=None,
           name=None) -> Tensor:
    """2-D convolution of NHWC `input` with HWIO `filters`.

    Args:
        strides: an int or a list of 1, 2 or 4 ints.
        padding: "SAME", "VALID" or explicit [[0, 0], [top, bottom], [left, right], [0, 0]].
        dilations: an int or a list of 1, 2 or 4 ints (atrous convolution).
    Raises:
        InvalidArgumentError: on ranks, channels or padding that do not fit.
    """
    x, w = binary_operands(input, filters, "conv2d")
    attrs = conv_attrs("conv2d", strides, padding, dilations, data_format)
    return bind("conv2d", x, w, name=name, **attrs)


@export("nn.conv2d_backprop_input")
def conv2d_backprop_input(input_sizes, filters, out_backprop, strides, padding,
                          data_format: str = "NHWC", dilations=None, name=None) -> Tensor:
    """Gradient of `conv2d` with respect to its input, of shape `input_sizes`."""
    w, dy = binary_operands(filters, out_backprop, "conv2d_backprop_input")
    sizes = _static_dims("conv2d_backprop_input", input_sizes, "input_sizes")
    attrs = conv_attrs("conv2d_backprop_input", strides, padding, dilations, data_format)
    if not known_equal(sizes[0], dy.shape[0]):
        raise InvalidArgumentError("conv2d_backprop_input", f"input_sizes {list(sizes)} and "
                                   f"out_backprop {list(dy.shape)} disagree on the batch size")
    return bind("conv2d_backprop_input", w, dy, input_shape=sizes[1:], name=name, **attrs)


@export("nn.conv2d_backprop_filter")
def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                           data_format: str = "NHWC", dilations=None, name=None) -> Tensor:
    """Gradient of `conv2d` with respect to its filters, of shape `filter_sizes`."""
    x, dy = binary_operands(input, out_backprop, "conv2d_backprop_filter")
    sizes = _static_dims("conv2d_backprop_filter", filter_sizes, "filter_sizes")
    attrs = conv_attrs("conv2d_backprop_filter", strides, padding, dilations, data_format)
    return bind("conv2d_backprop_filter", x, dy, filter_shape=sizes, name=name, **attrs)


@export("nn.conv2d_transpose")
def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format: str = "NHWC", dilations=None, name=None) -> Tensor:
    """Transposed 2-D convolution; `filters` are [height, width, out_channels, in_channels]."""
    return conv2d_backprop_input(output_shape, filters, input, strides, padding, data_format,
                                 dilations, name)


@export("nn.conv1d")
def conv1d(input, filters, stride, padding, data_format: str = "NWC", dilations=None,
           name=None) -> Tensor:
    """1-D convolution of NWC `input` with WIO `filters`, run as a conv2d of height 1."""
    from fuseflow.core.ops.movement import reshape

    x, w = binary_operands(input, filters, "conv1d")
    if x.ndim != 3 or w.ndim != 3:
        raise InvalidArgumentError("conv1d", f"input must be [batch, width, channels] and "
                                   f"filters [width, in_channels, out_channels], got shapes "
                                   f"{list(x.shape)} and {list(w.shape)}")
    stride = spatial_pair("conv1d", "stride", stride)[0]
    dilation = spatial_pair("conv1d", "dilations", dilations)[0]
    if not isinstance(padding, str):
        padding = [[0, 0], [0, 0], *[list(p) for p in padding][-2:-1], [0, 0]]
    x4 = reshape(x, [-1, 1, *_dims(x.shape[1:])])
    w4 = reshape(w, [1, *w.shape])
    y = conv2d(x4, w4, [1, stride], padding, "NHWC", [1, dilation], name)
    return reshape(y, [-1, *_dims(y.shape[2:])])


def _dims(shape) -> list[int]:
    return [-1 if d is None else d for d in shape]
