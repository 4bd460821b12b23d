"""Loss classes: each wraps its function with a reduction and keeps its config."""

from __future__ import annotations

from fuseflow.keras_api.losses import functions as fn
from fuseflow.keras_api.losses.loss import LossFunctionWrapper

_REDUCTION = "sum_over_batch_size"


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors between labels and predictions."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "mean_squared_error"):
        super().__init__(fn.mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors between labels and predictions."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "mean_absolute_error"):
        super().__init__(fn.mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error."""

    def __init__(self, reduction: str = _REDUCTION,
                 name: str = "mean_absolute_percentage_error"):
        super().__init__(fn.mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error."""

    def __init__(self, reduction: str = _REDUCTION,
                 name: str = "mean_squared_logarithmic_error"):
        super().__init__(fn.mean_squared_logarithmic_error, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic near zero, linear beyond `delta`."""

    def __init__(self, delta: float = 1.0, reduction: str = _REDUCTION,
                 name: str = "huber_loss"):
        super().__init__(fn.huber, reduction=reduction, name=name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "log_cosh"):
        super().__init__(fn.log_cosh, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy for binary (0/1) labels."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = _REDUCTION, name: str = "binary_crossentropy"):
        super().__init__(fn.binary_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = _REDUCTION, name: str = "categorical_crossentropy"):
        super().__init__(fn.categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels."""

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 axis: int = -1, reduction: str = _REDUCTION,
                 name: str = "sparse_categorical_crossentropy"):
        super().__init__(fn.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "kl_divergence"):
        super().__init__(fn.kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """Poisson loss: `y_pred - y_true * log(y_pred)`."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "poisson"):
        super().__init__(fn.poisson, reduction=reduction, name=name)


class Hinge(LossFunctionWrapper):
    """Hinge loss for labels in {-1, 1} (or {0, 1})."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "hinge"):
        super().__init__(fn.hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "squared_hinge"):
        super().__init__(fn.squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels."""

    def __init__(self, reduction: str = _REDUCTION, name: str = "categorical_hinge"):
        super().__init__(fn.categorical_hinge, reduction=reduction, name=name)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity between labels and predictions."""

    def __init__(self, axis: int = -1, reduction: str = _REDUCTION,
                 name: str = "cosine_similarity"):
        super().__init__(fn.cosine_similarity, reduction=reduction, name=name, axis=axis)


LOSS_CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
                MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy,
                CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson,
                Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity)
