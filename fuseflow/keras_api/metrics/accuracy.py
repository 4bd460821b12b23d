"""Accuracy metrics: exact match, thresholded, categorical, sparse and top-k."""

from __future__ import annotations

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import ff, floatx
from fuseflow.keras_api.losses.loss import squeeze_or_expand_to_same_rank
from fuseflow.keras_api.metrics.metric import MeanMetricWrapper


def _pred(y_pred):
    y_pred = convert_to_tensor(y_pred)
    return y_pred if y_pred.dtype.is_floating else ff.cast(y_pred, floatx())


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred`, else 0.0."""
    y_pred = _pred(y_pred)
    y_true = ff.cast(convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ff.cast(ff.equal(y_true, y_pred), floatx())


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """How often `y_pred > threshold` matches binary `y_true`, averaged over the last axis."""
    y_pred = _pred(y_pred)
    y_true = ff.cast(convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = ff.cast(ff.greater(y_pred, threshold), y_pred.dtype)
    return ff.reduce_mean(ff.cast(ff.equal(y_true, predicted), floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of one-hot `y_true` equals the arg-max of `y_pred`."""
    y_pred = _pred(y_pred)
    return ff.cast(ff.equal(ff.math.argmax(convert_to_tensor(y_true), axis=-1),
                            ff.math.argmax(y_pred, axis=-1)), floatx())


def _sparse_labels(y_true, y_pred):
    y_true = convert_to_tensor(y_true)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = ff.squeeze(y_true, -1)
    return ff.cast(y_true, "int64")


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where integer `y_true` equals the arg-max of `y_pred`."""
    y_pred = _pred(y_pred)
    labels = _sparse_labels(y_true, y_pred)
    return ff.cast(ff.equal(labels, ff.math.argmax(y_pred, axis=-1)), floatx())


def _in_top_k(labels, y_pred, k: int):
    """True where the label's score is among the `k` highest (ties count as in)."""
    one_hot = ff.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    target = ff.reduce_sum(one_hot * y_pred, axis=-1, keepdims=True)
    higher = ff.reduce_sum(ff.cast(ff.greater(y_pred, target), "int32"), axis=-1)
    return ff.cast(ff.less(higher, k), floatx())


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the one-hot target class is among the top `k` predictions."""
    y_pred = _pred(y_pred)
    return _in_top_k(ff.math.argmax(convert_to_tensor(y_true), axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the integer target class is among the top `k` predictions."""
    y_pred = _pred(y_pred)
    return _in_top_k(_sparse_labels(y_true, y_pred), y_pred, k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels."""

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class matches one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class matches integer labels."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often one-hot targets are in the top `k` predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often integer targets are in the top `k` predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
