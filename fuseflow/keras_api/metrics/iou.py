"""MeanIoU: intersection over union per class, averaged over classes present."""

from __future__ import annotations

from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.metrics.metric import Metric, divide_no_nan


class MeanIoU(Metric):
    """Mean intersection-over-union from an accumulated confusion matrix."""

    def __init__(self, num_classes: int, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name or "mean_io_u", dtype=dtype)
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"MeanIoU: `num_classes` must be a positive int, received "
                             f"{num_classes!r}")
        self.num_classes, self.ignore_class, self.axis = num_classes, ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_weight("total_confusion_matrix", (num_classes, num_classes),
                                        dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch to the confusion matrix (rows: true class, columns: predicted)."""
        y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = ff.math.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ff.math.argmax(y_pred, axis=self.axis)
        labels = ff.reshape(ff.cast(y_true, "int32"), [-1])
        predictions = ff.reshape(ff.cast(y_pred, "int32"), [-1])
        weight = ff.ones_like(labels, dtype="float64") if sample_weight is None else (
            ff.reshape(ff.cast(convert_to_tensor(sample_weight), "float64"), [-1]))
        if self.ignore_class is not None:
            weight = weight * ff.cast(ff.not_equal(labels, self.ignore_class), "float64")
        true_hot = ff.one_hot(labels, self.num_classes, dtype="float64")
        pred_hot = ff.one_hot(predictions, self.num_classes, dtype="float64")
        self.total_cm.assign_add(ff.matmul(true_hot * ff.expand_dims(weight, -1), pred_hot,
                                           transpose_a=True))

    def result(self):
        cm = self.total_cm.read_value()
        predicted = ff.reduce_sum(cm, axis=0)
        actual = ff.reduce_sum(cm, axis=1)
        hits = ff.reduce_sum(cm * ff.eye(self.num_classes, dtype="float64"), axis=1)
        union = predicted + actual - hits
        present = ff.reduce_sum(ff.cast(ff.not_equal(union, 0.0), "float64"))
        iou = divide_no_nan(hits, union)
        return ff.cast(divide_no_nan(ff.reduce_sum(iou), present), self.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
