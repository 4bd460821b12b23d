"""Thresholded confusion-matrix metrics: Precision, Recall and AUC."""

from __future__ import annotations

import numpy as np

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import epsilon, ff
from fuseflow.keras_api.metrics.metric import Metric, divide_no_nan


def _keep_top_k(x, k: int):
    """`x` with every entry outside the `k` largest of its last axis set to -inf."""
    higher = ff.reduce_sum(ff.cast(ff.greater(ff.expand_dims(x, -2), ff.expand_dims(x, -1)),
                                   "int32"), axis=-1)
    return ff.where(ff.less(higher, k), x, ff.ones_like(x) * -np.inf)


def confusion_counts(y_true, y_pred, thresholds: np.ndarray, sample_weight=None,
                     top_k: int | None = None, class_id: int | None = None) -> dict:
    """Weighted true/false positive/negative counts per threshold (each of shape [T])."""
    y_pred = ff.cast(convert_to_tensor(y_pred), "float32")
    label = ff.cast(ff.not_equal(convert_to_tensor(y_true), 0), "float32")
    if label.shape.rank == y_pred.shape.rank + 1 and label.shape[-1] == 1:
        label = ff.squeeze(label, -1)
    weight = ff.ones_like(y_pred) if sample_weight is None else (
        ff.cast(convert_to_tensor(sample_weight), "float32"))
    while weight.shape.rank < y_pred.shape.rank:
        weight = ff.expand_dims(weight, -1)
    weight = weight + ff.zeros_like(y_pred)
    label = label + ff.zeros_like(y_pred)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        y_pred, label, weight = (ff.gather(t, [class_id], axis=-1) for t in (y_pred, label, weight))
    pred = ff.reshape(y_pred, [-1, 1])
    label, weight = ff.reshape(label, [-1, 1]), ff.reshape(weight, [-1, 1])
    above = ff.cast(ff.greater(pred, convert_to_tensor(thresholds.astype(np.float32))), "float32")
    positive, negative = label * weight, (1.0 - label) * weight
    return {"tp": ff.reduce_sum(positive * above, axis=0),
            "fp": ff.reduce_sum(negative * above, axis=0),
            "fn": ff.reduce_sum(positive * (1.0 - above), axis=0),
            "tn": ff.reduce_sum(negative * (1.0 - above), axis=0)}


def _thresholds(thresholds, top_k) -> tuple[np.ndarray, bool]:
    if thresholds is None:
        default = 0.5 if top_k is None else -np.inf
        return np.array([default]), True
    single = np.ndim(thresholds) == 0
    values = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if np.any((values < 0) | (values > 1)):
        raise ValueError(f"Threshold values must be in [0, 1]; received {values.tolist()}")
    return values, single


class _ThresholdMetric(Metric):
    _counts: tuple[str, ...] = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds, self._single = _thresholds(thresholds, top_k)
        size = len(self.thresholds)
        names = {"tp": "true_positives", "fp": "false_positives", "fn": "false_negatives",
                 "tn": "true_negatives"}
        for key in self._counts:
            setattr(self, names[key], self.add_weight(names[key], (size,)))
        self._vars = {key: getattr(self, names[key]) for key in self._counts}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch's confusion counts at each threshold."""
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self.top_k,
                                  self.class_id)
        for key, variable in self._vars.items():
            variable.assign_add(counts[key])

    def _finish(self, values):
        return ff.reshape(values, []) if self._single else values

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ThresholdMetric):
    """`tp / (tp + fp)`: the fraction of predicted positives that are positive."""

    _counts = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp = self.true_positives.read_value()
        return self._finish(divide_no_nan(tp, tp + self.false_positives.read_value()))


class Recall(_ThresholdMetric):
    """`tp / (tp + fn)`: the fraction of positives predicted positive."""

    _counts = ("tp", "fn")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp = self.true_positives.read_value()
        return self._finish(divide_no_nan(tp, tp + self.false_negatives.read_value()))


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at `num_thresholds` thresholds."""

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None, dtype=None,
                 thresholds=None, multi_label: bool = False, num_labels=None,
                 label_weights=None, from_logits: bool = False):
        super().__init__(name=name or "auc", dtype=dtype)
        curve, summation_method = curve.upper(), summation_method.lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: invalid `curve` {curve!r}; expected 'ROC' or 'PR'")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: invalid `summation_method` {summation_method!r}")
        if multi_label:
            raise NotImplementedError("AUC(multi_label=True) is not supported; labels are "
                                      "flattened as with multi_label=False")
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: `num_thresholds` must be > 1, received {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = np.array([0.0 - epsilon(), *inner, 1.0 + epsilon()])
        self.num_thresholds = len(self.thresholds)
        self.curve, self.summation_method, self.from_logits = curve, summation_method, from_logits
        self._vars = {key: self.add_weight(name, (self.num_thresholds,)) for key, name in (
            ("tp", "true_positives"), ("fp", "false_positives"), ("tn", "true_negatives"),
            ("fn", "false_negatives"))}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch's confusion counts at each threshold."""
        if self.from_logits:
            y_pred = ff.sigmoid(convert_to_tensor(y_pred))
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight)
        for key, variable in self._vars.items():
            variable.assign_add(counts[key])

    def result(self):
        tp, fp, tn, fn = (self._vars[k].read_value() for k in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _interpolated_pr_auc(tp, fp, fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), divide_no_nan(tp, tp + fn)
        else:
            x, y = divide_no_nan(tp, tp + fn), divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = ff.minimum(y[:-1], y[1:])
        else:
            heights = ff.maximum(y[:-1], y[1:])
        return ff.reduce_sum((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "from_logits": self.from_logits}


def _interpolated_pr_auc(tp, fp, fn):
    """PR-AUC with precision interpolated between thresholds (Davis & Goadrich, 2006)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = divide_no_nan(dtp, ff.maximum(dp, 0.0))
    intercept = tp[1:] - slope * p[1:]
    both = ff.logical_and(ff.greater(p[:-1], 0.0), ff.greater(p[1:], 0.0))
    ratio = ff.where(both, divide_no_nan(p[:-1], ff.maximum(p[1:], 0.0)), ff.ones_like(p[1:]))
    increment = divide_no_nan(slope * (dtp + intercept * ff.math.log(ratio)),
                              ff.maximum(tp[1:] + fn[1:], 0.0))
    return ff.reduce_sum(increment)
