"""Metrics against NumPy: state accumulates over batches, sample weights, reset, lookup."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.keras_api import metrics

RNG = np.random.default_rng(0)
B, C = 8, 5


def _run(metric, batches):
    for args in batches:
        metric.update_state(*args)
    return float(np.asarray(metric.result()))


def _batches(*arrays, n=2):
    """Split each array into `n` batches along axis 0."""
    return list(zip(*[np.array_split(a, n) for a in arrays]))


def _wmean(values, w):
    return float((values * w).sum() / w.sum())


LOGITS = RNG.standard_normal((2 * B, C)).astype(np.float32)
LABELS = RNG.integers(0, C, 2 * B)
ONEHOT = np.eye(C, dtype=np.float32)[LABELS]
W = RNG.random(2 * B).astype(np.float32)
PROB = RNG.random((2 * B, 3)).astype(np.float32)
BIN = (RNG.random((2 * B, 3)) > 0.5).astype(np.float32)
REAL = RNG.standard_normal((2 * B, 3)).astype(np.float32)
REAL2 = RNG.standard_normal((2 * B, 3)).astype(np.float32)


def _rank_of_label(logits, labels):
    return (logits > logits[np.arange(len(labels)), labels][:, None]).sum(-1)


CASES = [
    ("categorical_accuracy", metrics.CategoricalAccuracy(), ONEHOT, LOGITS,
     (LOGITS.argmax(-1) == LABELS).astype(float)),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy(), LABELS, LOGITS,
     (LOGITS.argmax(-1) == LABELS).astype(float)),
    ("sparse_categorical_accuracy_2d", metrics.SparseCategoricalAccuracy(), LABELS[:, None],
     LOGITS, (LOGITS.argmax(-1) == LABELS).astype(float)),
    ("binary_accuracy", metrics.BinaryAccuracy(), BIN, PROB,
     ((PROB > 0.5) == BIN).mean(-1)),
    ("binary_accuracy_threshold", metrics.BinaryAccuracy(threshold=0.3), BIN, PROB,
     ((PROB > 0.3) == BIN).mean(-1)),
    ("accuracy", metrics.Accuracy(), LABELS, LOGITS.argmax(-1),
     (LOGITS.argmax(-1) == LABELS).astype(float)),
    ("top_k", metrics.TopKCategoricalAccuracy(k=2), ONEHOT, LOGITS,
     (_rank_of_label(LOGITS, LABELS) < 2).astype(float)),
    ("sparse_top_k", metrics.SparseTopKCategoricalAccuracy(k=3), LABELS, LOGITS,
     (_rank_of_label(LOGITS, LABELS) < 3).astype(float)),
    ("mse", metrics.MeanSquaredError(), REAL, REAL2, ((REAL - REAL2) ** 2).mean(-1)),
    ("mae", metrics.MeanAbsoluteError(), REAL, REAL2, np.abs(REAL - REAL2).mean(-1)),
]


@pytest.mark.parametrize("name,metric,y_true,y_pred,per_sample", CASES,
                         ids=[c[0] for c in CASES])
def test_mean_metrics_accumulate_weighted_means(name, metric, y_true, y_pred, per_sample):
    metric.reset_state()
    got = _run(metric, _batches(y_true, y_pred, W))
    np.testing.assert_allclose(got, _wmean(per_sample, W), rtol=1e-5)
    metric.reset_state()
    got = _run(metric, _batches(y_true, y_pred, n=3))
    np.testing.assert_allclose(got, per_sample.mean(), rtol=1e-5)


def test_mean_and_sum():
    mean, total = metrics.Mean(), metrics.Sum()
    values = RNG.random(10).astype(np.float32)
    for chunk, w in _batches(values, W[:10]):
        mean.update_state(chunk, sample_weight=w)
        total.update_state(chunk)
    np.testing.assert_allclose(float(mean.result()), _wmean(values, W[:10]), rtol=1e-6)
    np.testing.assert_allclose(float(total.result()), values.sum(), rtol=1e-6)
    mean.reset_states()
    assert float(mean.result()) == 0.0


def test_root_mean_squared_error():
    rmse = metrics.RootMeanSquaredError()
    got = _run(rmse, _batches(REAL, REAL2))
    np.testing.assert_allclose(got, np.sqrt(((REAL - REAL2) ** 2).mean()), rtol=1e-5)


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.7]])
def test_precision_and_recall(thresholds):
    levels = np.atleast_1d(0.5 if thresholds is None else thresholds)
    pred = PROB[..., None] > levels
    label = BIN[..., None] > 0
    w = W[:, None, None]
    tp = ((pred & label) * w).sum((0, 1))
    fp = ((pred & ~label) * w).sum((0, 1))
    fn = ((~pred & label) * w).sum((0, 1))
    precision = metrics.Precision(thresholds=thresholds)
    recall = metrics.Recall(thresholds=thresholds)
    for t, p, sw in _batches(BIN, PROB, W):
        precision.update_state(t, p, sample_weight=sw)
        recall.update_state(t, p, sample_weight=sw)
    expected_p, expected_r = tp / (tp + fp), tp / (tp + fn)
    if thresholds is None or np.ndim(thresholds) == 0:
        expected_p, expected_r = expected_p[0], expected_r[0]
    np.testing.assert_allclose(np.asarray(precision.result()), expected_p, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(recall.result()), expected_r, rtol=1e-5)


def test_precision_class_id_and_top_k():
    probs = np.array([[0.9, 0.2, 0.6], [0.1, 0.8, 0.7]], np.float32)
    labels = np.array([[0, 0, 1], [0, 1, 0]], np.float32)
    by_class = metrics.Precision(class_id=2)
    by_class.update_state(labels, probs)
    assert float(by_class.result()) == pytest.approx(0.5)  # class 2 predicted twice, right once
    top1 = metrics.Precision(top_k=1)
    top1.update_state(labels, probs)
    assert float(top1.result()) == pytest.approx(0.5)  # top-1 picks class 0 and class 1


def _roc_auc_reference(y, scores, thresholds):
    tp = np.array([((scores > t) & (y == 1)).sum() for t in thresholds], float)
    fp = np.array([((scores > t) & (y == 0)).sum() for t in thresholds], float)
    tpr, fpr = tp / (y == 1).sum(), fp / (y == 0).sum()
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


def test_auc_roc_matches_trapezoid_over_thresholds():
    y = (RNG.random(40) > 0.5).astype(np.float32)
    scores = np.clip(y * 0.3 + RNG.random(40) * 0.7, 0, 1).astype(np.float32)
    auc = metrics.AUC(num_thresholds=50)
    got = _run(auc, _batches(y, scores))
    thresholds = np.array([-1e-7] + [(i + 1) / 49 for i in range(48)] + [1 + 1e-7])
    np.testing.assert_allclose(got, _roc_auc_reference(y, scores, thresholds), rtol=1e-5)


def test_auc_on_separable_data_is_one_and_pr_curve_runs():
    y = np.array([0, 0, 1, 1], np.float32)
    scores = np.array([0.1, 0.2, 0.8, 0.9], np.float32)
    assert _run(metrics.AUC(), [(y, scores)]) == pytest.approx(1.0, abs=1e-6)
    pr = _run(metrics.AUC(curve="PR"), [(y, scores)])
    assert pr == pytest.approx(1.0, abs=2e-2)
    mixed = _run(metrics.AUC(), [(y, np.array([0.1, 0.4, 0.35, 0.8], np.float32))])
    assert mixed == pytest.approx(0.75, abs=1e-2)


def test_mean_iou():
    y_true = RNG.integers(0, 3, 30)
    y_pred = RNG.integers(0, 3, 30)
    cm = np.zeros((3, 3))
    np.add.at(cm, (y_true, y_pred), 1)
    iou = np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))
    metric = metrics.MeanIoU(num_classes=3)
    np.testing.assert_allclose(_run(metric, _batches(y_true, y_pred)), iou.mean(), rtol=1e-6)


def test_mean_iou_from_probabilities():
    metric = metrics.MeanIoU(num_classes=C, sparse_y_pred=False)
    metric.update_state(LABELS, LOGITS)
    reference = metrics.MeanIoU(num_classes=C)
    reference.update_state(LABELS, LOGITS.argmax(-1))
    assert float(metric.result()) == pytest.approx(float(reference.result()))


def test_metric_call_updates_and_returns_result():
    metric = metrics.Mean()
    assert float(metric([1.0, 3.0])) == 2.0
    assert float(metric([5.0])) == 3.0
    assert len(metric.variables) == 2 and metric.trainable_weights == []


def test_get_by_name_and_unknown():
    assert metrics.get("accuracy") is metrics.accuracy
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    with pytest.raises(ValueError, match="'accurcy'"):
        metrics.get("accurcy")


def test_config_round_trip():
    metric = metrics.Precision(thresholds=[0.2, 0.4], name="p")
    again = metrics.deserialize(metrics.serialize(metric))
    assert again.get_config() == metric.get_config()
