"""Keras losses (`fuseflow.keras.losses`) as functions, classes and strings."""

from __future__ import annotations

from fuseflow.keras_api.layers.serialization import lookup
from fuseflow.keras_api.losses.classes import (
    LOSS_CLASSES,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from fuseflow.keras_api.losses.functions import (
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from fuseflow.keras_api.losses.loss import Loss, LossFunctionWrapper, Reduction

_FUNCTIONS = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, kl_divergence, poisson, hinge,
    squared_hinge, categorical_hinge, cosine_similarity)}
_FUNCTIONS.update({"mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape,
                   "msle": msle, "MSLE": msle, "kld": kld, "KLD": kld, "logcosh": logcosh,
                   "kullback_leibler_divergence": kl_divergence, "huber_loss": huber})
_CLASSES = {cls.__name__: cls for cls in LOSS_CLASSES}


def serialize(loss) -> dict | str:
    """A config dict for a Loss object, or the name of a loss function."""
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    name = getattr(loss, "__name__", None)
    if name in _FUNCTIONS:
        return name
    raise ValueError(f"Cannot serialize loss {loss!r}: not a Loss object or a built-in loss")


def deserialize(config, custom_objects=None):
    """The loss `serialize` described (a Loss object or a function)."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return get(custom_objects.get(config, config))
    cls = custom_objects.get(config.get("class_name")) or _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown loss: {config.get('class_name')!r}. Known losses: "
                         f"{sorted(_CLASSES)}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A loss function or object from a name ('mse', 'MeanSquaredError', ...), a config dict,
    a callable or None."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    return lookup(identifier, "loss", _FUNCTIONS, _CLASSES, deserialize)
