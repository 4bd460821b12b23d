"""Regression metrics: mean squared/absolute error and root mean squared error."""

from __future__ import annotations

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.losses import functions as loss_fns
from fuseflow.keras_api.losses.loss import squeeze_or_expand_to_same_rank
from fuseflow.keras_api.metrics.metric import Mean, MeanMetricWrapper, divide_no_nan


class MeanSquaredError(MeanMetricWrapper):
    """Mean of squared errors."""

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(loss_fns.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of absolute errors."""

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(loss_fns.mean_absolute_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """Square root of the mean of squared errors over every element seen."""

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the squared errors (weighted by `sample_weight`)."""
        y_pred = ff.cast(convert_to_tensor(y_pred), self.dtype)
        y_true = ff.cast(convert_to_tensor(y_true), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(ff.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return ff.sqrt(divide_no_nan(self.total.read_value(), self.count.read_value()))
