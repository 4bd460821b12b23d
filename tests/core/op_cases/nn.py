"""Cases for the nn op families: softmax, cross-entropies, bias_add, conv, depthwise, pooling.

References are plain loops over output positions (no im2col, no strided views), in float64.
"""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, positive, sample


def ints_in(*shape: int, high: int):
    return lambda rng: rng.integers(0, high, size=shape).astype(np.int32)


def probabilities(*shape: int):
    def draw(rng):
        p = rng.uniform(0.1, 1.0, size=shape)
        return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)

    return draw


# -- references -----------------------------------------------------------------------------------

def _pads(size: int, k: int, stride: int, dilation: int, padding):
    """TF's padding rule: SAME keeps ceil(size / stride) outputs, extra padding at the end."""
    span = (k - 1) * dilation + 1
    if padding == "VALID":
        return 0, 0
    if padding == "SAME":
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + span - size, 0)
        return total // 2, total - total // 2
    return padding


class Geometry:
    """Padded input and output size of one windowed op, computed the slow, obvious way."""

    def __init__(self, in_hw, k_hw, strides, padding, dilations=(1, 1)):
        explicit = None if isinstance(padding, str) else padding
        self.pads = [_pads(in_hw[a], k_hw[a], strides[a], dilations[a],
                           padding if explicit is None else explicit[a]) for a in (0, 1)]
        self.k, self.s, self.d = k_hw, strides, dilations
        spans = [(k_hw[a] - 1) * dilations[a] + 1 for a in (0, 1)]
        self.out = [(in_hw[a] + sum(self.pads[a]) - spans[a]) // strides[a] + 1 for a in (0, 1)]
        self.in_hw = in_hw

    def pad(self, x, value=0.0):
        return np.pad(x, ((0, 0), *self.pads, (0, 0)), constant_values=value)

    def crop(self, xp):
        (t, _), (left, _) = self.pads
        return xp[:, t:t + self.in_hw[0], left:left + self.in_hw[1]]

    def window(self, a: int, b: int):
        """Index of the (kh, kw) pixels output (a, b) reads in the padded input."""
        rows = slice(a * self.s[0], a * self.s[0] + (self.k[0] - 1) * self.d[0] + 1, self.d[0])
        cols = slice(b * self.s[1], b * self.s[1] + (self.k[1] - 1) * self.d[1] + 1, self.d[1])
        return np.s_[:, rows, cols]

    def positions(self):
        return [(a, b) for a in range(self.out[0]) for b in range(self.out[1])]


def ref_conv2d(x, w, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    geo = Geometry(x.shape[1:3], w.shape[:2], strides, padding, dilations)
    xp, out = geo.pad(x), np.zeros((x.shape[0], *geo.out, w.shape[3]))
    for a, b in geo.positions():
        out[:, a, b] = np.einsum("nijc,ijco->no", xp[geo.window(a, b)], w)
    return out


def ref_conv2d_backprop_input(input_shape, w, dy, strides=(1, 1), padding="VALID",
                              dilations=(1, 1)):
    geo = Geometry(input_shape[1:3], w.shape[:2], strides, padding, dilations)
    dxp = geo.pad(np.zeros(input_shape))
    for a, b in geo.positions():
        dxp[geo.window(a, b)] += np.einsum("no,ijco->nijc", dy[:, a, b], w)
    return geo.crop(dxp)


def ref_conv2d_backprop_filter(x, filter_shape, dy, strides=(1, 1), padding="VALID",
                               dilations=(1, 1)):
    geo = Geometry(x.shape[1:3], filter_shape[:2], strides, padding, dilations)
    xp, dw = geo.pad(x), np.zeros(filter_shape)
    for a, b in geo.positions():
        dw += np.einsum("nijc,no->ijco", xp[geo.window(a, b)], dy[:, a, b])
    return dw


def ref_depthwise(x, w, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    geo = Geometry(x.shape[1:3], w.shape[:2], strides, padding, dilations)
    xp = geo.pad(x)
    out = np.zeros((x.shape[0], *geo.out, w.shape[2] * w.shape[3]))
    for a, b in geo.positions():
        out[:, a, b] = np.einsum("nijc,ijcm->ncm", xp[geo.window(a, b)], w).reshape(x.shape[0], -1)
    return out


def ref_depthwise_backprop_input(input_shape, w, dy, strides=(1, 1), padding="VALID"):
    geo = Geometry(input_shape[1:3], w.shape[:2], strides, padding)
    dxp = geo.pad(np.zeros(input_shape))
    dy5 = dy.reshape(*dy.shape[:3], *w.shape[2:])
    for a, b in geo.positions():
        dxp[geo.window(a, b)] += np.einsum("ncm,ijcm->nijc", dy5[:, a, b], w)
    return geo.crop(dxp)


def ref_depthwise_backprop_filter(x, filter_shape, dy, strides=(1, 1), padding="VALID"):
    geo = Geometry(x.shape[1:3], filter_shape[:2], strides, padding)
    xp, dw = geo.pad(x), np.zeros(filter_shape)
    dy5 = dy.reshape(*dy.shape[:3], *filter_shape[2:])
    for a, b in geo.positions():
        dw += np.einsum("nijc,ncm->ijcm", xp[geo.window(a, b)], dy5[:, a, b])
    return dw


def ref_max_pool(x, ksize, strides, padding):
    geo = Geometry(x.shape[1:3], ksize, strides, padding)
    xp = geo.pad(x, -np.inf)
    out = np.zeros((x.shape[0], *geo.out, x.shape[3]))
    for a, b in geo.positions():
        out[:, a, b] = xp[geo.window(a, b)].max(axis=(1, 2))
    return out


def _first_max_masks(x, geo):
    """For each output (a, b): a 0/1 mask over its window marking the first maximum."""
    xp = geo.pad(x, -np.inf)
    for a, b in geo.positions():
        patch = xp[geo.window(a, b)]
        flat = patch.reshape(patch.shape[0], -1, patch.shape[3])
        mask = np.zeros_like(flat)
        np.put_along_axis(mask, flat.argmax(axis=1)[:, None], 1.0, axis=1)  # argmax: first max
        yield a, b, mask.reshape(patch.shape)


def ref_max_pool_grad(x, dy, ksize, strides, padding):
    geo = Geometry(x.shape[1:3], ksize, strides, padding)
    dxp = geo.pad(np.zeros(x.shape))
    for a, b, mask in _first_max_masks(x, geo):
        dxp[geo.window(a, b)] += mask * dy[:, a, b][:, None, None]
    return geo.crop(dxp)


def ref_max_pool_grad_grad(x, gdx, ksize, strides, padding):
    geo = Geometry(x.shape[1:3], ksize, strides, padding)
    gp = geo.pad(gdx)
    out = np.zeros((x.shape[0], *geo.out, x.shape[3]))
    for a, b, mask in _first_max_masks(x, geo):
        out[:, a, b] = (mask * gp[geo.window(a, b)]).sum(axis=(1, 2))
    return out


def _valid_counts(geo):
    ones = geo.pad(np.ones((1, *geo.in_hw, 1)))
    return {(a, b): ones[geo.window(a, b)].sum() for a, b in geo.positions()}


def ref_avg_pool(x, ksize, strides, padding):
    geo = Geometry(x.shape[1:3], ksize, strides, padding)
    xp, counts = geo.pad(x), _valid_counts(geo)
    out = np.zeros((x.shape[0], *geo.out, x.shape[3]))
    for a, b in geo.positions():
        out[:, a, b] = xp[geo.window(a, b)].sum(axis=(1, 2)) / counts[a, b]
    return out


def ref_avg_pool_grad(input_shape, dy, ksize, strides, padding):
    geo = Geometry(input_shape[1:3], ksize, strides, padding)
    dxp, counts = geo.pad(np.zeros(input_shape)), _valid_counts(geo)
    for a, b in geo.positions():
        dxp[geo.window(a, b)] += dy[:, a, b][:, None, None] / counts[a, b]
    return geo.crop(dxp)


def ref_softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def ref_sparse_xent(labels, logits):
    p = ref_softmax(logits)
    return -np.log(np.take_along_axis(p, labels[..., None].astype(int), axis=-1)[..., 0])


def ref_sigmoid_xent(z, x):
    p = 1 / (1 + np.exp(-x))
    return -z * np.log(p) - (1 - z) * np.log(1 - p)


# -- cases ----------------------------------------------------------------------------------------

def _conv(label, x_shape, w_shape, strides, padding, dilations=(1, 1)) -> list[OpCase]:
    """conv2d and both its backprop ops for one geometry."""
    out = ref_conv2d(np.zeros(x_shape), np.zeros(w_shape), strides, padding, dilations).shape
    attrs = {"strides": list(strides), "padding": padding, "dilations": list(dilations)}
    tf_padding = padding if isinstance(padding, str) else [[0, 0], *padding, [0, 0]]
    call = {**attrs, "padding": tf_padding}
    return [
        OpCase("conv2d", lambda x, w: ff.nn.conv2d(x, w, **call),
               sample(floats(*x_shape), floats(*w_shape)),
               lambda x, w: ref_conv2d(x, w, strides, padding, dilations), label=label),
        OpCase("conv2d_backprop_input",
               lambda w, dy: ff.nn.conv2d_backprop_input(list(x_shape), w, dy, **call),
               sample(floats(*w_shape), floats(*out)),
               lambda w, dy: ref_conv2d_backprop_input(x_shape, w, dy, strides, padding,
                                                       dilations), label=label),
        OpCase("conv2d_backprop_filter",
               lambda x, dy: ff.nn.conv2d_backprop_filter(x, list(w_shape), dy, **call),
               sample(floats(*x_shape), floats(*out)),
               lambda x, dy: ref_conv2d_backprop_filter(x, w_shape, dy, strides, padding,
                                                        dilations), label=label),
    ]


def _depthwise(label, x_shape, w_shape, strides, padding) -> list[OpCase]:
    out = ref_depthwise(np.zeros(x_shape), np.zeros(w_shape), strides, padding).shape
    s4 = [1, *strides, 1]
    return [
        OpCase("depthwise_conv2d", lambda x, w: ff.nn.depthwise_conv2d(x, w, s4, padding),
               sample(floats(*x_shape), floats(*w_shape)),
               lambda x, w: ref_depthwise(x, w, strides, padding), label=label),
        OpCase("depthwise_conv2d_backprop_input",
               lambda w, dy: ff.nn.depthwise_conv2d_backprop_input(list(x_shape), w, dy, s4,
                                                                   padding),
               sample(floats(*w_shape), floats(*out)),
               lambda w, dy: ref_depthwise_backprop_input(x_shape, w, dy, strides, padding),
               label=label),
        OpCase("depthwise_conv2d_backprop_filter",
               lambda x, dy: ff.nn.depthwise_conv2d_backprop_filter(x, list(w_shape), dy, s4,
                                                                    padding),
               sample(floats(*x_shape), floats(*out)),
               lambda x, dy: ref_depthwise_backprop_filter(x, w_shape, dy, strides, padding),
               label=label),
    ]


def _pool(label, x_shape, ksize, strides, padding) -> list[OpCase]:
    out = ref_max_pool(np.zeros(x_shape), ksize, strides, padding).shape
    max_grad = ff.core.ops.pooling.max_pool2d_grad
    return [
        OpCase("max_pool2d", lambda x: ff.nn.max_pool2d(x, ksize, strides, padding),
               sample(floats(*x_shape)), lambda x: ref_max_pool(x, ksize, strides, padding),
               label=label),
        OpCase("max_pool2d_grad", lambda x, dy: max_grad(x, dy, ksize, strides, padding),
               sample(floats(*x_shape), floats(*out)),
               lambda x, dy: ref_max_pool_grad(x, dy, ksize, strides, padding), label=label),
        OpCase("max_pool2d_grad_grad",
               lambda x, g: ff.core.ops.pooling.max_pool2d_grad_grad(x, g, ksize, strides,
                                                                     padding),
               sample(floats(*x_shape), floats(*x_shape)),
               lambda x, g: ref_max_pool_grad_grad(x, g, ksize, strides, padding), label=label),
        OpCase("avg_pool2d", lambda x: ff.nn.avg_pool2d(x, ksize, strides, padding),
               sample(floats(*x_shape)), lambda x: ref_avg_pool(x, ksize, strides, padding),
               label=label),
        OpCase("avg_pool2d_grad",
               lambda dy: ff.core.ops.pooling.avg_pool2d_grad(list(x_shape), dy, ksize, strides,
                                                              padding),
               sample(floats(*out)),
               lambda dy: ref_avg_pool_grad(x_shape, dy, ksize, strides, padding), label=label),
    ]


CASES = [
    OpCase("softmax", ff.nn.softmax, sample(floats(3, 5)), ref_softmax),
    OpCase("softmax", lambda x: ff.nn.softmax(x, axis=0), sample(floats(3, 4)),
           lambda x: ref_softmax(x, 0), label="axis0"),
    OpCase("softmax", ff.nn.softmax, sample(floats(2, 3, low=500, high=600)),
           lambda x: ref_softmax(x - 550), label="large", atol=1e-5),
    OpCase("log_softmax", ff.nn.log_softmax, sample(floats(3, 5)),
           lambda x: np.log(ref_softmax(x))),
    OpCase("log_softmax", lambda x: ff.math.log_softmax(x, axis=1), sample(floats(2, 3, 4)),
           lambda x: np.log(ref_softmax(x, 1)), label="axis1"),
    OpCase("sparse_softmax_cross_entropy_with_logits",
           lambda y, x: ff.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x),
           sample(ints_in(6, high=4), floats(6, 4)), ref_sparse_xent),
    OpCase("sparse_softmax_cross_entropy_with_logits",
           lambda y, x: ff.nn.sparse_softmax_cross_entropy_with_logits(y, x),
           sample(ints_in(2, 3, high=5), floats(2, 3, 5)), ref_sparse_xent, label="rank3"),
    OpCase("sparse_softmax_cross_entropy_with_logits_grad",
           lambda y, x, g: ff.core.ops.losses.sparse_softmax_cross_entropy_grad(y, x, g),
           sample(ints_in(4, high=3), floats(4, 3), floats(4)),
           lambda y, x, g: g[:, None] * (ref_softmax(x) - np.eye(3)[y])),
    OpCase("softmax_cross_entropy_with_logits",
           lambda y, x: ff.nn.softmax_cross_entropy_with_logits(labels=y, logits=x),
           sample(probabilities(4, 3), floats(4, 3)),
           lambda y, x: -np.sum(y * np.log(ref_softmax(x)), axis=-1)),
    OpCase("softmax_cross_entropy_with_logits",
           lambda y, x: ff.nn.softmax_cross_entropy_with_logits(y, x, axis=0),
           sample(positive(3, 2), floats(3, 2)),
           lambda y, x: -np.sum(y * np.log(ref_softmax(x, 0)), axis=0), label="axis0"),
    OpCase("sigmoid_cross_entropy_with_logits",
           lambda z, x: ff.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
           sample(floats(3, 4, low=0.0, high=1.0), floats(3, 4, low=-5, high=5)),
           ref_sigmoid_xent),
    OpCase("sigmoid_cross_entropy_with_logits",
           lambda z, x: ff.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
           sample(floats(4, low=0.0, high=1.0), floats(4, low=-200, high=200)),
           lambda z, x: np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))),
           label="large", grad=False),
    OpCase("bias_add", ff.nn.bias_add, sample(floats(3, 4), floats(4)), np.add),
    OpCase("bias_add", ff.nn.bias_add, sample(floats(2, 3, 3, 4), floats(4)), np.add,
           label="nhwc"),
    OpCase("add", lambda x, b: ff.nn.bias_add(x, b, data_format="NCHW"),
           sample(floats(2, 4, 3, 3), floats(4)), lambda x, b: x + b[:, None, None],
           label="bias_add_nchw"),
    *_conv("valid", (2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "VALID"),
    *_conv("same_s2", (2, 6, 5, 2), (3, 3, 2, 3), (2, 2), "SAME"),
    *_conv("explicit", (1, 4, 4, 2), (2, 3, 2, 2), (1, 2), ((1, 0), (2, 1))),
    *_conv("dilated", (1, 7, 6, 2), (3, 2, 2, 3), (1, 1), "SAME", (2, 2)),
    *_conv("1x1", (2, 3, 3, 4), (1, 1, 4, 2), (1, 1), "VALID"),
    OpCase("conv2d", lambda x, w: ff.nn.conv1d(x, w, stride=2, padding="SAME"),
           sample(floats(2, 7, 3), floats(3, 3, 4)),
           lambda x, w: ref_conv2d(x[:, None], w[None], (1, 2), "SAME")[:, 0], label="conv1d"),
    OpCase("conv2d", lambda x, w: ff.nn.conv1d(x, w, 1, [[0, 0], [1, 2], [0, 0]], dilations=2),
           sample(floats(1, 5, 2), floats(2, 2, 3)),
           lambda x, w: ref_conv2d(x[:, None], w[None], (1, 1), ((0, 0), (1, 2)), (1, 2))[:, 0],
           label="conv1d_explicit"),
    OpCase("conv2d_backprop_input",
           lambda x, w: ff.nn.conv2d_transpose(x, w, [2, 6, 6, 3], strides=2, padding="SAME"),
           sample(floats(2, 3, 3, 4), floats(3, 3, 3, 4)),
           lambda x, w: ref_conv2d_backprop_input((2, 6, 6, 3), w, x, (2, 2), "SAME"),
           label="conv2d_transpose"),
    *_depthwise("valid", (2, 5, 4, 3), (3, 2, 3, 2), (1, 1), "VALID"),
    *_depthwise("same_s2", (1, 5, 5, 2), (3, 3, 2, 1), (2, 2), "SAME"),
    *_pool("2x2", (2, 4, 6, 3), (2, 2), (2, 2), "VALID"),
    *_pool("3x3_same", (1, 5, 5, 2), (3, 3), (2, 2), "SAME"),
    *_pool("overlap", (1, 4, 5, 2), (2, 3), (1, 1), "SAME"),
    OpCase("max_pool2d", lambda x: ff.nn.max_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
           sample(floats(1, 3, 3, 1)), lambda x: ref_max_pool(x, (2, 2), (1, 1), "VALID"),
           label="max_pool_4list"),
    OpCase("avg_pool2d", lambda x: ff.nn.avg_pool(x, 2, 1, "SAME"), sample(floats(1, 3, 3, 2)),
           lambda x: ref_avg_pool(x, (2, 2), (1, 1), "SAME"), label="avg_pool_int"),
    OpCase("reduce_mean", lambda x: ff.nn.moments(x, axes=[0, 1, 2]), sample(floats(2, 3, 3, 4)),
           lambda x: (x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))), label="moments"),
    OpCase("reduce_mean", lambda x: ff.nn.moments(x, axes=[1], keepdims=True),
           sample(floats(3, 4)),
           lambda x: (x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)),
           label="moments_keepdims"),
    OpCase("rsqrt",
           lambda x, m, v, b, s: ff.nn.batch_normalization(x, m, v, b, s, variance_epsilon=1e-3),
           sample(floats(3, 4), floats(4), positive(4), floats(4), floats(4)),
           lambda x, m, v, b, s: (x - m) / np.sqrt(v + 1e-3) * s + b,
           label="batch_normalization"),
    OpCase("rsqrt", lambda x, m, v: ff.nn.batch_normalization(x, m, v, None, None, 1e-5),
           sample(floats(2, 3), floats(3), positive(3)),
           lambda x, m, v: (x - m) / np.sqrt(v + 1e-5), label="batch_normalization_plain"),
]
