"""Loss functions: per-sample losses (reduced over the last axis) with Keras's formulas."""

from __future__ import annotations

import math

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import epsilon, ff
from fuseflow.keras_api.losses.loss import squeeze_or_expand_to_same_rank


def _shape_text(x) -> str:
    return str(tuple(x.shape))


def _check_same_shape(loss: str, y_true, y_pred) -> None:
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(f"{loss}: `y_true` and `y_pred` have incompatible shapes: y_true "
                         f"{_shape_text(y_true)}, y_pred {_shape_text(y_pred)}")


def _prepare(loss: str, y_true, y_pred, same_shape: bool = True):
    """Tensors of y_pred's float dtype, with ranks aligned like Keras."""
    y_pred = convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = ff.cast(y_pred, "float32")
    y_true = ff.cast(convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if same_shape:
        _check_same_shape(loss, y_true, y_pred)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _prepare("mean_squared_error", y_true, y_pred)
    return ff.reduce_mean(ff.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _prepare("mean_absolute_error", y_true, y_pred)
    return ff.reduce_mean(ff.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)`."""
    y_true, y_pred = _prepare("mean_absolute_percentage_error", y_true, y_pred)
    diff = ff.abs((y_true - y_pred) / ff.maximum(ff.abs(y_true), epsilon()))
    return 100.0 * ff.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    y_true, y_pred = _prepare("mean_squared_logarithmic_error", y_true, y_pred)
    first = ff.math.log(ff.maximum(y_pred, epsilon()) + 1.0)
    second = ff.math.log(ff.maximum(y_true, epsilon()) + 1.0)
    return ff.reduce_mean(ff.square(first - second), axis=-1)


def huber(y_true, y_pred, delta: float = 1.0):
    """Quadratic for |error| <= delta, linear beyond, averaged over the last axis."""
    y_true, y_pred = _prepare("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ff.abs(error)
    quadratic = 0.5 * ff.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ff.reduce_mean(ff.where(ff.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed without overflow."""
    y_true, y_pred = _prepare("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return ff.reduce_mean(x + ff.nn.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Binary cross-entropy averaged over `axis`."""
    y_true, y_pred = _prepare("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        losses = ff.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = ff.clip_by_value(y_pred, epsilon(), 1.0 - epsilon())
        losses = -(y_true * ff.math.log(p) + (1.0 - y_true) * ff.math.log(1.0 - p))
    return ff.reduce_mean(losses, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """Cross-entropy between one-hot (or soft) labels and class probabilities/logits."""
    y_pred = convert_to_tensor(y_pred)
    y_true = ff.cast(convert_to_tensor(y_true), y_pred.dtype)
    if y_true.shape.rank != y_pred.shape.rank or not y_true.shape.is_compatible_with(
            y_pred.shape):
        raise ValueError(f"categorical_crossentropy: Shapes {_shape_text(y_true)} and "
                         f"{_shape_text(y_pred)} are incompatible (y_true must be one-hot with "
                         "the shape of y_pred; for integer labels use "
                         "sparse_categorical_crossentropy)")
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / float(classes)
    if from_logits:
        return ff.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    p = y_pred / ff.reduce_sum(y_pred, axis=axis, keepdims=True)
    log_prob = ff.math.log(ff.clip_by_value(p, epsilon(), 1.0 - epsilon()))
    return -ff.reduce_sum(y_true * log_prob, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1):
    """Cross-entropy between integer labels and class probabilities/logits."""
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    rank = y_pred.shape.rank
    if y_true.shape.rank == rank and y_true.shape[-1] == 1:
        y_true = ff.squeeze(y_true, -1)
    expected = y_pred.shape[:axis % rank].concatenate(y_pred.shape[axis % rank + 1:])
    if not y_true.shape.is_compatible_with(expected):
        raise ValueError(f"sparse_categorical_crossentropy: y_true must hold one integer label "
                         f"per sample, shape {tuple(expected)}; received y_true "
                         f"{_shape_text(y_true)} for y_pred {_shape_text(y_pred)} (for one-hot "
                         "labels use categorical_crossentropy)")
    labels = ff.cast(y_true, "int32")
    if not from_logits:
        # log(p) are logits whose softmax is p renormalized: the fused op then applies.
        y_pred = ff.math.log(ff.clip_by_value(y_pred, epsilon(), 1.0 - epsilon()))
    if ignore_class is None and axis % rank == rank - 1:
        return ff.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    valid = ff.not_equal(labels, -1 if ignore_class is None else ignore_class)
    labels = ff.where(valid, labels, ff.zeros_like(labels))
    one_hot = ff.one_hot(labels, y_pred.shape[axis], dtype=y_pred.dtype, axis=axis)
    losses = -ff.reduce_sum(one_hot * ff.nn.log_softmax(y_pred, axis=axis), axis=axis)
    return losses * ff.cast(valid, losses.dtype) if ignore_class is not None else losses


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)` with both clipped to [eps, 1]."""
    y_true, y_pred = _prepare("kl_divergence", y_true, y_pred)
    y_true = ff.clip_by_value(y_true, epsilon(), 1.0)
    y_pred = ff.clip_by_value(y_pred, epsilon(), 1.0)
    return ff.reduce_sum(y_true * ff.math.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + eps), axis=-1)`."""
    y_true, y_pred = _prepare("poisson", y_true, y_pred)
    return ff.reduce_mean(y_pred - y_true * ff.math.log(y_pred + epsilon()), axis=-1)


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; labels already in {-1, 1} stay."""
    is_binary = ff.reduce_all(ff.logical_or(ff.equal(y_true, 0.0), ff.equal(y_true, 1.0)))
    return ff.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)` with labels in {-1, 1} (or {0, 1})."""
    y_true, y_pred = _prepare("hinge", y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ff.reduce_mean(ff.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`."""
    y_true, y_pred = _prepare("squared_hinge", y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ff.reduce_mean(ff.square(ff.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` per sample."""
    y_true, y_pred = _prepare("categorical_hinge", y_true, y_pred)
    positive = ff.reduce_sum(y_true * y_pred, axis=-1)
    negative = ff.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return ff.maximum(negative - positive + 1.0, 0.0)


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 means the same
    direction."""
    y_true, y_pred = _prepare("cosine_similarity", y_true, y_pred)
    y_true = ff.math.l2_normalize(y_true, axis=axis)
    y_pred = ff.math.l2_normalize(y_pred, axis=axis)
    return -ff.reduce_sum(y_true * y_pred, axis=axis)


# Short names Keras accepts for the same functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
