"""Independent NumPy references for layer numerics (float64, written from the definitions)."""

from __future__ import annotations

import math

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TF 'SAME' padding: the extra element goes after."""
    span = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, stride=(1, 1), padding="valid", dilation=(1, 1)):
    """Direct loops over output pixels: x NHWC, w HWIO."""
    if padding == "same":
        ph = same_pads(x.shape[1], w.shape[0], stride[0], dilation[0])
        pw = same_pads(x.shape[2], w.shape[1], stride[1], dilation[1])
        x = np.pad(x, [(0, 0), ph, pw, (0, 0)])
    kh, kw = w.shape[:2]
    oh = (x.shape[1] - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (x.shape[2] - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    pixel = x[:, i * stride[0] + a * dilation[0], j * stride[1] + b * dilation[1]]
                    out[:, i, j] += pixel @ w[a, b]
    return out


def depthwise_conv2d(x, w, stride=(1, 1)):
    """w is (kh, kw, C, M); output channel c*M + m uses input channel c."""
    c, m = w.shape[2:]
    outs = [conv2d(x[..., i:i + 1], w[:, :, i:i + 1, :], stride) for i in range(c)]
    return np.concatenate(outs, axis=-1).reshape(*outs[0].shape[:3], c * m)


def conv2d_transpose(x, w, stride):
    """'valid' transposed conv: scatter each input pixel times the kernel; w is (kh, kw, O, I)."""
    kh, kw, o, _ = w.shape
    n, h, wd, _ = x.shape
    oh, ow = h * stride[0] + max(kh - stride[0], 0), wd * stride[1] + max(kw - stride[1], 0)
    out = np.zeros((n, oh, ow, o))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for b in range(kw):
                    out[:, i * stride[0] + a, j * stride[1] + b] += x[:, i, j] @ w[a, b].T
    return out


def pool2d(x, size, stride, reduce):
    oh = (x.shape[1] - size[0]) // stride[0] + 1
    ow = (x.shape[2] - size[1]) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride[0]:i * stride[0] + size[0],
                       j * stride[1]:j * stride[1] + size[1]]
            out[:, i, j] = reduce(window, axis=(1, 2))
    return out


def simple_rnn(x, k, rk, b):
    h = np.zeros((x.shape[0], rk.shape[0]))
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ k + h @ rk + b)
        outs.append(h)
    return np.stack(outs, 1)


def lstm(x, k, rk, b):
    u = rk.shape[0]
    h = c = np.zeros((x.shape[0], u))
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ k + h @ rk + b
        i, f, g, o = (z[:, n * u:(n + 1) * u] for n in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), h, c


def gru(x, k, rk, b):
    """reset_after=True: b has shape (2, 3u) (input bias, recurrent bias)."""
    u = rk.shape[0]
    h = np.zeros((x.shape[0], u))
    outs = []
    for t in range(x.shape[1]):
        gx = x[:, t] @ k + b[0]
        gh = h @ rk + b[1]
        z = sigmoid(gx[:, :u] + gh[:, :u])
        r = sigmoid(gx[:, u:2 * u] + gh[:, u:2 * u])
        cand = np.tanh(gx[:, 2 * u:] + r * gh[:, 2 * u:])
        h = z * h + (1 - z) * cand
        outs.append(h)
    return np.stack(outs, 1)
