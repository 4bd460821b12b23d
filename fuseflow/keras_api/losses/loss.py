"""The Loss base class, reductions and sample weighting."""

from __future__ import annotations

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import ff, to_snake_case


class Reduction:
    """How per-sample losses are reduced (tf.keras 2 `losses.Reduction` names)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls) -> tuple[str, ...]:
        """Every accepted reduction key."""
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key: str) -> str:
        """The canonical reduction for `key` ('auto' means 'sum_over_batch_size')."""
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key: {key!r}. Expected one of {cls.all()}")
        return cls.SUM_OVER_BATCH_SIZE if key == cls.AUTO else key


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Make ranks equal when they differ by a trailing axis of size 1."""
    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ff.expand_dims(x2, -1)
        else:
            x1 = ff.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ff.expand_dims(x1, -1)
        else:
            x2 = ff.squeeze(x2, -1)
    return x1, x2


def apply_sample_weight(values, sample_weight):
    """`values * sample_weight`, the weight squeezed or expanded to broadcast per sample."""
    if sample_weight is None:
        return values
    weight = ff.cast(convert_to_tensor(sample_weight), values.dtype)
    values, weight = squeeze_or_expand_to_same_rank(values, weight, expand_rank_1=False)
    while weight.shape.rank < values.shape.rank:
        weight = ff.expand_dims(weight, -1)
    return values * weight


def reduce_values(values, reduction: str):
    """Reduce weighted per-sample values: 'none', 'sum' or 'sum_over_batch_size'."""
    if reduction == Reduction.NONE:
        return values
    if reduction == Reduction.SUM:
        return ff.reduce_sum(values)
    return ff.reduce_mean(values)


def compute_weighted_loss(losses, sample_weight=None, reduction: str = "sum_over_batch_size"):
    """Weight `losses` by `sample_weight`, then reduce them."""
    losses = convert_to_tensor(losses)
    if not losses.dtype.is_floating:
        losses = ff.cast(losses, "float32")
    return reduce_values(apply_sample_weight(losses, sample_weight), Reduction.validate(reduction))


class Loss:
    """Base class of losses: `call(y_true, y_pred)` gives per-sample values, then the reduction
    and sample weights apply."""

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None,
                 dtype=None):
        self.reduction = Reduction.validate(reduction)
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = convert_to_tensor(y_pred)
        losses = self.call(y_true, y_pred)
        return compute_weighted_loss(losses, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        """Per-sample losses (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call`")

    def get_config(self) -> dict:
        """The constructor arguments as a dict."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        """Create the loss from `get_config()`'s output."""
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss around a function `fn(y_true, y_pred, **kwargs)` of per-sample values."""

    def __init__(self, fn, reduction: str = "sum_over_batch_size", name: str | None = None,
                 **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict):
        if cls is LossFunctionWrapper:
            raise ValueError("LossFunctionWrapper.from_config needs a concrete loss class")
        return cls(**config)
