"""Layer cases as data: how to make the layer, its input, its parameter count and a NumPy
reference of its output given its weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fuseflow.keras_api import layers as L
from tests.keras_api.layers import references as ref


@dataclass
class LayerCase:
    name: str
    make: Callable
    shape: tuple | list  # input shape, or a list of shapes for multi-input layers
    params: int
    reference: Callable  # (x, weights) -> expected output(s), all float64
    int_input: bool = False
    call_kwargs: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name

    def inputs(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        if self.int_input:
            return rng.integers(0, 5, self.shape).astype(np.int32)
        if isinstance(self.shape, list):
            return [rng.standard_normal(s).astype(np.float32) for s in self.shape]
        return rng.standard_normal(self.shape).astype(np.float32)


def _dense_relu(x, w):
    return np.maximum(x @ w[0] + w[1], 0.0)


def _bn_inference(x, w):
    gamma, beta, mean, var = w
    return (x - mean) / np.sqrt(var + 1e-3) * gamma + beta


def _ln(x, w):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-3) * w[0] + w[1]


def _conv1d_causal(x, w):
    padded = np.pad(x, [(0, 0), (2, 0), (0, 0)])[:, None]
    return ref.conv2d(padded, w[0][None])[:, 0] + w[1]


def _bidirectional(x, w):
    forward = ref.simple_rnn(x, *w[:3])
    backward = ref.simple_rnn(x[:, ::-1], *w[3:])[:, ::-1]
    return np.concatenate([forward, backward], -1)


def _lstm_state(x, w):
    _, h, c = ref.lstm(x, *w)
    return [h, h, c]


CASES = [
    LayerCase("dense", lambda: L.Dense(3, activation="relu"), (2, 4), 15, _dense_relu),
    LayerCase("dense_3d", lambda: L.Dense(2), (2, 3, 4), 10, lambda x, w: x @ w[0] + w[1]),
    LayerCase("activation", lambda: L.Activation("softmax"), (2, 5), 0,
              lambda x, w: ref.softmax(x)),
    LayerCase("flatten", L.Flatten, (2, 3, 4), 0, lambda x, w: x.reshape(2, 12)),
    LayerCase("reshape", lambda: L.Reshape((-1, 2)), (2, 3, 4), 0,
              lambda x, w: x.reshape(2, 6, 2)),
    LayerCase("permute", lambda: L.Permute((2, 1)), (2, 3, 4), 0,
              lambda x, w: x.transpose(0, 2, 1)),
    LayerCase("repeat_vector", lambda: L.RepeatVector(3), (2, 4), 0,
              lambda x, w: np.repeat(x[:, None], 3, axis=1)),
    LayerCase("dropout_inference", lambda: L.Dropout(0.5), (2, 4), 0, lambda x, w: x),
    LayerCase("gaussian_noise_inference", lambda: L.GaussianNoise(1.0), (2, 4), 0,
              lambda x, w: x),
    LayerCase("spatial_dropout_inference", lambda: L.SpatialDropout2D(0.5), (2, 3, 3, 2), 0,
              lambda x, w: x),
    LayerCase("conv1d_causal", lambda: L.Conv1D(4, 3, padding="causal"), (2, 6, 3), 40,
              _conv1d_causal),
    LayerCase("conv2d_same_strided", lambda: L.Conv2D(4, 3, strides=2, padding="same"),
              (2, 7, 6, 3), 112,
              lambda x, w: ref.conv2d(x, w[0], (2, 2), "same") + w[1]),
    LayerCase("conv2d_valid_dilated", lambda: L.Conv2D(2, 2, dilation_rate=2), (1, 6, 6, 2),
              18, lambda x, w: ref.conv2d(x, w[0], dilation=(2, 2)) + w[1]),
    LayerCase("depthwise_conv2d", lambda: L.DepthwiseConv2D(3, depth_multiplier=2),
              (2, 5, 5, 3), 60, lambda x, w: ref.depthwise_conv2d(x, w[0]) + w[1]),
    LayerCase("separable_conv2d", lambda: L.SeparableConv2D(4, 3), (2, 5, 5, 3), 43,
              lambda x, w: ref.conv2d(ref.depthwise_conv2d(x, w[0]), w[1]) + w[2]),
    LayerCase("conv2d_transpose", lambda: L.Conv2DTranspose(2, 3, strides=2), (2, 3, 3, 4),
              74, lambda x, w: ref.conv2d_transpose(x, w[0], (2, 2)) + w[1]),
    LayerCase("max_pooling2d", L.MaxPooling2D, (2, 5, 4, 3), 0,
              lambda x, w: ref.pool2d(x, (2, 2), (2, 2), np.max)),
    LayerCase("average_pooling2d", lambda: L.AveragePooling2D(3, strides=1), (2, 5, 4, 3), 0,
              lambda x, w: ref.pool2d(x, (3, 3), (1, 1), np.mean)),
    LayerCase("max_pooling1d", lambda: L.MaxPooling1D(2), (2, 7, 3), 0,
              lambda x, w: ref.pool2d(x[:, :, None], (2, 1), (2, 1), np.max)[:, :, 0]),
    LayerCase("average_pooling1d", lambda: L.AveragePooling1D(3, strides=2), (2, 7, 3), 0,
              lambda x, w: ref.pool2d(x[:, :, None], (3, 1), (2, 1), np.mean)[:, :, 0]),
    LayerCase("global_max_pooling1d", L.GlobalMaxPooling1D, (2, 5, 3), 0,
              lambda x, w: x.max(1)),
    LayerCase("global_average_pooling1d", L.GlobalAveragePooling1D, (2, 5, 3), 0,
              lambda x, w: x.mean(1)),
    LayerCase("global_max_pooling2d", L.GlobalMaxPooling2D, (2, 4, 5, 3), 0,
              lambda x, w: x.max((1, 2))),
    LayerCase("global_average_pooling2d", L.GlobalAveragePooling2D, (2, 4, 5, 3), 0,
              lambda x, w: x.mean((1, 2))),
    LayerCase("zero_padding2d", lambda: L.ZeroPadding2D(((1, 2), (0, 1))), (2, 3, 3, 2), 0,
              lambda x, w: np.pad(x, [(0, 0), (1, 2), (0, 1), (0, 0)])),
    LayerCase("cropping2d", lambda: L.Cropping2D(((1, 0), (1, 2))), (2, 4, 5, 2), 0,
              lambda x, w: x[:, 1:, 1:3]),
    LayerCase("upsampling2d", lambda: L.UpSampling2D((2, 3)), (2, 2, 3, 2), 0,
              lambda x, w: np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)),
    LayerCase("batch_normalization_inference", L.BatchNormalization, (4, 3), 12,
              _bn_inference),
    LayerCase("layer_normalization", L.LayerNormalization, (4, 5), 10, _ln),
    LayerCase("embedding", lambda: L.Embedding(5, 3), (2, 4), 15, lambda x, w: w[0][x],
              int_input=True),
    LayerCase("lambda", lambda: L.Lambda(lambda t: t * 2.0 + 1.0), (2, 3), 0,
              lambda x, w: 2 * x + 1),
    LayerCase("relu_capped", lambda: L.ReLU(max_value=0.5, negative_slope=0.1), (3, 4), 0,
              lambda x, w: np.where(x > 0, np.minimum(x, 0.5), 0.1 * x)),
    LayerCase("leaky_relu", L.LeakyReLU, (3, 4), 0, lambda x, w: np.where(x > 0, x, 0.3 * x)),
    LayerCase("prelu", L.PReLU, (3, 4), 4, lambda x, w: np.where(x > 0, x, w[0] * x)),
    LayerCase("elu", lambda: L.ELU(0.5), (3, 4), 0,
              lambda x, w: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    LayerCase("softmax", L.Softmax, (3, 4), 0, lambda x, w: ref.softmax(x)),
    LayerCase("simple_rnn", lambda: L.SimpleRNN(4, return_sequences=True), (2, 5, 3), 32,
              lambda x, w: ref.simple_rnn(x, *w)),
    LayerCase("lstm_state", lambda: L.LSTM(4, return_state=True), (2, 5, 3), 128, _lstm_state),
    LayerCase("gru", lambda: L.GRU(4), (2, 5, 3), 108,
              lambda x, w: ref.gru(x, *w)[:, -1]),
    LayerCase("bidirectional", lambda: L.Bidirectional(L.SimpleRNN(2, return_sequences=True)),
              (2, 4, 3), 24, _bidirectional),
    LayerCase("time_distributed", lambda: L.TimeDistributed(L.Dense(2)), (2, 5, 3), 8,
              lambda x, w: x @ w[0] + w[1]),
    LayerCase("add", L.Add, [(2, 3), (2, 3)], 0, lambda x, w: x[0] + x[1]),
    LayerCase("subtract", L.Subtract, [(2, 3), (2, 3)], 0, lambda x, w: x[0] - x[1]),
    LayerCase("multiply", L.Multiply, [(2, 3), (2, 3), (2, 3)], 0,
              lambda x, w: x[0] * x[1] * x[2]),
    LayerCase("average", L.Average, [(2, 3), (2, 3)], 0, lambda x, w: (x[0] + x[1]) / 2),
    LayerCase("maximum", L.Maximum, [(2, 3), (2, 3)], 0, lambda x, w: np.maximum(*x)),
    LayerCase("minimum", L.Minimum, [(2, 3), (2, 3)], 0, lambda x, w: np.minimum(*x)),
    LayerCase("concatenate", lambda: L.Concatenate(axis=1), [(2, 3, 2), (2, 1, 2)], 0,
              lambda x, w: np.concatenate(x, axis=1)),
    LayerCase("dot_vectors", lambda: L.Dot(axes=1), [(2, 3), (2, 3)], 0,
              lambda x, w: (x[0] * x[1]).sum(1, keepdims=True)),
    LayerCase("dot_matrices", lambda: L.Dot(axes=(2, 2)), [(2, 3, 4), (2, 5, 4)], 0,
              lambda x, w: np.einsum("bik,bjk->bij", *x)),
]
