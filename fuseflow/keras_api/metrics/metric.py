"""The Metric base class and the reducing metrics (Sum, Mean, MeanMetricWrapper).

State lives in non-trainable Variables updated with `assign*`, so `update_state` runs inside a
traced training step and `result()` reads the accumulated state there too.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import context
from fuseflow.core.tensor import convert_to_tensor
from fuseflow.core.variable import Variable
from fuseflow.keras_api.backend import ff, floatx, to_snake_case
from fuseflow.keras_api.losses.loss import squeeze_or_expand_to_same_rank


def divide_no_nan(x, y):
    """`x / y`, with 0 wherever `y` is 0."""
    zero = ff.equal(y, 0.0)
    return ff.where(zero, ff.zeros_like(x * y), x / ff.where(zero, ff.ones_like(y), y))


class Metric:
    """Base class of metrics: `update_state(...)` accumulates, `result()` reads."""

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = str(getattr(dtype, "name", dtype) or floatx())
        self._variables: list[Variable] = []
        self._initial_values: list[np.ndarray] = []

    @property
    def dtype(self) -> str:
        """The dtype of the metric's state and result."""
        return self._dtype

    def add_weight(self, name: str, shape=(), initializer="zeros", dtype=None, **kwargs):
        """Create a state Variable (zeros, ones or a constant fill)."""
        np_dtype = np.dtype(getattr(dtype, "np_dtype", dtype) or self._dtype)
        fill = {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
        value = np.full(tuple(shape), fill, np_dtype)
        with context.eager_scope():  # metrics may be built during a function's first trace
            variable = Variable(value, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(variable)
        self._initial_values.append(value)
        return variable

    add_variable = add_weight

    @property
    def variables(self) -> list[Variable]:
        """The state Variables, in creation order."""
        return list(self._variables)

    weights = non_trainable_weights = variables

    @property
    def trainable_weights(self) -> list:
        """Always empty: metric state is never trained."""
        return []

    def update_state(self, *args, **kwargs):
        """Accumulate statistics (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`")

    def result(self):
        """The metric value from the accumulated state (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `result`")

    def reset_state(self) -> None:
        """Return every state variable to its initial value."""
        for variable, value in zip(self._variables, self._initial_values):
            variable.assign(value)

    def reset_states(self) -> None:
        """Alias of `reset_state` (tf.keras 2)."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        """The constructor arguments as a dict."""
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config: dict):
        """Create the metric from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class Reduce(Metric):
    """Accumulate a (weighted) total and count of values."""

    def __init__(self, reduction: str, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total")
        if reduction == "weighted_mean":
            self.count = self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        """Add `values` (weighted by `sample_weight`) to the total."""
        values = ff.cast(convert_to_tensor(values), self._dtype)
        if sample_weight is None:
            weights = ff.ones_like(values)
        else:
            weights = ff.cast(convert_to_tensor(sample_weight), self._dtype)
            values, weights = squeeze_or_expand_to_same_rank(values, weights, False)
            while weights.shape.rank < values.shape.rank:
                weights = ff.expand_dims(weights, -1)
            weights = weights + ff.zeros_like(values)  # broadcast to values' shape
            values = values * weights
        self.total.assign_add(ff.reduce_sum(values))
        if self.reduction == "weighted_mean":
            self.count.assign_add(ff.reduce_sum(weights))

    def result(self):
        if self.reduction == "sum":
            return ff.identity(self.total)
        return divide_no_nan(self.total.read_value(), self.count.read_value())


class Sum(Reduce):
    """The (weighted) sum of the values seen."""

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)


class Mean(Reduce):
    """The (weighted) mean of the values seen."""

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__("weighted_mean", name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over every sample seen."""

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric"), dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the per-sample values of `fn` (weighted by `sample_weight`)."""
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict):
        if cls is MeanMetricWrapper:
            raise ValueError("MeanMetricWrapper.from_config needs a concrete metric class")
        return cls(**config)
