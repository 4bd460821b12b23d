"""Every loss against an independent float64 NumPy formula, by function, class and string."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import losses

EPS = 1e-7
RNG = np.random.default_rng(0)
B, C = 6, 4


def _probs(shape):
    x = RNG.random(shape) + 0.05
    return x / x.sum(-1, keepdims=True)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


REAL = RNG.standard_normal((B, C))
REAL2 = RNG.standard_normal((B, C))
POS = RNG.random((B, C)) + 0.1
POS2 = RNG.random((B, C)) + 0.1
BIN = (RNG.random((B, C)) > 0.5).astype(np.float64)
PM1 = BIN * 2 - 1
ONEHOT = np.eye(C)[RNG.integers(0, C, B)]
LABELS = RNG.integers(0, C, B)
PROBS = _probs((B, C))
UNIT = RNG.random((B, C)) * 0.9 + 0.05


def bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def huber_ref(t, p, d=1.0):
    e = np.abs(p - t)
    return np.where(e <= d, 0.5 * e**2, d * e - 0.5 * d * d).mean(-1)


def cos_ref(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return -(tn * pn).sum(-1)


# name, class, y_true, y_pred, reference per-sample losses
CASES = [
    ("mean_squared_error", losses.MeanSquaredError, REAL, REAL2,
     lambda t, p: ((t - p) ** 2).mean(-1)),
    ("mean_absolute_error", losses.MeanAbsoluteError, REAL, REAL2,
     lambda t, p: np.abs(t - p).mean(-1)),
    ("mean_absolute_percentage_error", losses.MeanAbsolutePercentageError, REAL, REAL2,
     lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    ("mean_squared_logarithmic_error", losses.MeanSquaredLogarithmicError, POS, POS2,
     lambda t, p: ((np.log(p + 1) - np.log(t + 1)) ** 2).mean(-1)),
    ("huber", losses.Huber, REAL, 2 * REAL2, huber_ref),
    ("log_cosh", losses.LogCosh, REAL, REAL2, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("binary_crossentropy", losses.BinaryCrossentropy, BIN, UNIT, bce),
    ("categorical_crossentropy", losses.CategoricalCrossentropy, ONEHOT, PROBS,
     lambda t, p: -(t * np.log(p)).sum(-1)),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy, LABELS, PROBS,
     lambda t, p: -np.log(p[np.arange(B), t])),
    ("kl_divergence", losses.KLDivergence, PROBS, _probs((B, C)),
     lambda t, p: (t * np.log(t / p)).sum(-1)),
    ("poisson", losses.Poisson, POS, POS2, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    ("hinge", losses.Hinge, PM1, REAL, lambda t, p: np.maximum(1 - t * p, 0).mean(-1)),
    ("squared_hinge", losses.SquaredHinge, PM1, REAL,
     lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", losses.CategoricalHinge, ONEHOT, REAL,
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    ("cosine_similarity", losses.CosineSimilarity, REAL, REAL2, cos_ref),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,cls,y_true,y_pred,ref", CASES, ids=IDS)
def test_function_matches_numpy(name, cls, y_true, y_pred, ref):
    fn = getattr(losses, name)
    out = fn(y_true.astype(np.float32), y_pred.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), ref(y_true, y_pred), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "auto"])
@pytest.mark.parametrize("name,cls,y_true,y_pred,ref", CASES, ids=IDS)
def test_class_reduction_and_sample_weight(name, cls, y_true, y_pred, ref, reduction):
    weights = RNG.random(B)
    out = cls(reduction=reduction)(y_true, y_pred.astype(np.float32), sample_weight=weights)
    per_sample = ref(y_true, y_pred) * weights
    expected = {"none": per_sample, "sum": per_sample.sum()}.get(reduction, per_sample.mean())
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,cls,y_true,y_pred,ref", CASES, ids=IDS)
def test_string_lookup_gives_same_loss(name, cls, y_true, y_pred, ref):
    by_string = losses.get(name)(y_true, y_pred.astype(np.float32))
    by_class = losses.get(cls.__name__)(y_true, y_pred.astype(np.float32))
    np.testing.assert_allclose(ff.reduce_mean(by_string).numpy(), by_class.numpy(), rtol=1e-6)


def test_crossentropies_from_logits_match_probabilities():
    logits = RNG.standard_normal((B, C))
    cce = losses.categorical_crossentropy(ONEHOT, logits.astype(np.float32), from_logits=True)
    np.testing.assert_allclose(cce.numpy(), -(ONEHOT * np.log(_softmax(logits))).sum(-1),
                               rtol=1e-5)
    scce = losses.sparse_categorical_crossentropy(LABELS, logits.astype(np.float32),
                                                  from_logits=True)
    np.testing.assert_allclose(scce.numpy(), -np.log(_softmax(logits)[np.arange(B), LABELS]),
                               rtol=1e-5)
    bce_logits = losses.binary_crossentropy(BIN, logits.astype(np.float32), from_logits=True)
    np.testing.assert_allclose(bce_logits.numpy(), bce(BIN, _sigmoid(logits)), rtol=1e-4)


def test_label_smoothing():
    smooth = 0.2
    out = losses.CategoricalCrossentropy(label_smoothing=smooth, reduction="none")(
        ONEHOT, PROBS.astype(np.float32))
    t = ONEHOT * (1 - smooth) + smooth / C
    np.testing.assert_allclose(out.numpy(), -(t * np.log(PROBS)).sum(-1), rtol=1e-5)
    out = losses.BinaryCrossentropy(label_smoothing=smooth, reduction="none")(
        BIN, UNIT.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), bce(BIN * (1 - smooth) + 0.5 * smooth, UNIT),
                               rtol=1e-5)


def test_sparse_labels_with_trailing_axis_and_ignore_class():
    out = losses.sparse_categorical_crossentropy(LABELS[:, None], PROBS.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), -np.log(PROBS[np.arange(B), LABELS]), rtol=1e-5)
    labels = LABELS.copy()
    labels[0] = -1
    out = losses.sparse_categorical_crossentropy(labels, PROBS.astype(np.float32),
                                                 ignore_class=-1)
    assert out.numpy()[0] == 0.0
    np.testing.assert_allclose(out.numpy()[1:], -np.log(PROBS[np.arange(1, B), LABELS[1:]]),
                               rtol=1e-5)


def test_axis_argument():
    out = losses.CategoricalCrossentropy(axis=0, reduction="none")(
        ONEHOT.T, PROBS.T.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), -(ONEHOT * np.log(PROBS)).sum(-1), rtol=1e-5)


def test_hinge_converts_binary_labels():
    np.testing.assert_allclose(losses.hinge(BIN, REAL.astype(np.float32)).numpy(),
                               losses.hinge(PM1, REAL.astype(np.float32)).numpy(), rtol=1e-6)


def test_rank_one_labels_expand_to_match_predictions():
    y = RNG.standard_normal(B)
    out = losses.mean_squared_error(y, y[:, None].astype(np.float32) + 1.0)
    np.testing.assert_allclose(out.numpy(), np.ones(B), rtol=1e-5)


@pytest.mark.parametrize("fn,y_true,y_pred,words", [
    (losses.mean_squared_error, np.zeros((4, 3)), np.zeros((4, 2)), "(4, 3)"),
    (losses.categorical_crossentropy, np.zeros((4, 1)), np.zeros((4, 10)), "sparse"),
    (losses.sparse_categorical_crossentropy, np.zeros((4, 10)), np.zeros((4, 10)),
     "categorical_crossentropy"),
])
def test_shape_mismatch_is_a_value_error_naming_shapes(fn, y_true, y_pred, words):
    with pytest.raises(ValueError, match="incompatible|integer label") as info:
        fn(y_true, y_pred.astype(np.float32))
    assert words in str(info.value)


def test_unknown_identifier_and_reduction():
    with pytest.raises(ValueError, match="'nope'"):
        losses.get("nope")
    with pytest.raises(ValueError, match="Reduction"):
        losses.MeanSquaredError(reduction="mean")


def test_config_round_trip():
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, name="cce")
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is losses.CategoricalCrossentropy
    assert again.get_config() == loss.get_config()
    assert losses.serialize(losses.mse) == "mean_squared_error"
