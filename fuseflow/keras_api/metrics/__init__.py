"""Keras metrics (`fuseflow.keras.metrics`), looked up by object, function or string."""

from __future__ import annotations

from fuseflow.keras_api.layers.serialization import lookup
from fuseflow.keras_api.losses import functions as _loss_fns
from fuseflow.keras_api.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    kl_divergence,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from fuseflow.keras_api.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from fuseflow.keras_api.metrics.confusion import AUC, Precision, Recall
from fuseflow.keras_api.metrics.iou import MeanIoU
from fuseflow.keras_api.metrics.metric import Mean, MeanMetricWrapper, Metric, Reduce, Sum
from fuseflow.keras_api.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    RootMeanSquaredError,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC,
    MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError, MeanIoU)}
_CLASSES.update({"precision": Precision, "recall": Recall, "auc": AUC})
_FUNCTIONS = {f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
    kl_divergence, poisson, hinge, squared_hinge, _loss_fns.categorical_hinge,
    _loss_fns.log_cosh, _loss_fns.cosine_similarity)}
_FUNCTIONS.update({"acc": accuracy, "mse": mse, "MSE": mse, "mae": mae, "MAE": mae,
                   "mape": mape, "MAPE": mape, "msle": msle, "MSLE": msle,
                   "kld": kl_divergence, "logcosh": _loss_fns.log_cosh})


def serialize(metric) -> dict | str:
    """A config dict for a Metric object, or the name of a metric function."""
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    return getattr(metric, "__name__", str(metric))


def deserialize(config, custom_objects=None):
    """The metric `serialize` described."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return custom_objects.get(config) or get(config)
    name = config.get("class_name")
    cls = custom_objects.get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"Unknown metric: {name!r}. Known metrics: {sorted(_CLASSES)}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A metric function or object from a name ('accuracy', 'mae', 'AUC', ...), a config dict
    or a callable."""
    if isinstance(identifier, Metric):
        return identifier
    return lookup(identifier, "metric", _FUNCTIONS, _CLASSES, deserialize)
