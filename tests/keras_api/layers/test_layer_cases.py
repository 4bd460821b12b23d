"""Every built-in layer: numerics against NumPy, shapes, parameter counts, gradients, configs."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow import keras_api as keras
from tests.keras_api.layers.cases import CASES


def _build(case, seed: int = 0):
    """The layer built on the case's input, with random weights (so zero inits cannot hide
    mistakes), and the input."""
    layer = case.make()
    x = case.inputs(seed)
    layer(x)
    rng = np.random.default_rng(seed + 100)
    layer.set_weights([rng.uniform(0.1, 1.0, w.shape).astype(w.dtype)
                       for w in layer.get_weights()])
    return layer, x


def _as64(x):
    return [a.astype(np.float64) for a in x] if isinstance(x, list) else (
        x if x.dtype.kind == "i" else x.astype(np.float64))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_output_matches_numpy_reference(case):
    layer, x = _build(case)
    got = ff.nest.flatten(layer(x, **case.call_kwargs))
    weights = [w.astype(np.float64) for w in layer.get_weights()]
    want = case.reference(_as64(x), weights)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parameter_count(case):
    layer, _ = _build(case)
    assert layer.count_params() == case.params


@pytest.mark.parametrize("case", CASES, ids=str)
def test_symbolic_shape_matches_real_output_with_none_batch(case):
    layer, x = _build(case)
    real = ff.nest.flatten(layer(x))
    dtype = "int32" if case.int_input else "float32"
    shapes = case.shape if isinstance(case.shape, list) else [case.shape]
    inputs = [keras.Input(shape=s[1:], dtype=dtype) for s in shapes]
    symbolic = ff.nest.flatten(layer(inputs if isinstance(case.shape, list) else inputs[0]))
    for sym, out in zip(symbolic, real):
        assert tuple(sym.shape) == (None, *tuple(out.shape)[1:])
    computed = layer.compute_output_shape(
        [tuple(s) for s in shapes] if isinstance(case.shape, list) else case.shape)
    computed = computed if isinstance(computed, list) else [computed]
    assert [tuple(c) for c in computed] == [tuple(o.shape) for o in real]


@pytest.mark.parametrize("case", [c for c in CASES if c.params], ids=str)
def test_gradients_reach_every_trainable_weight(case):
    layer, x = _build(case)
    rng = np.random.default_rng(1)
    with ff.GradientTape() as tape:
        outs = ff.nest.flatten(layer(x))
        loss = sum(ff.reduce_sum(o * rng.standard_normal(tuple(o.shape)).astype(np.float32))
                   for o in outs)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert len(grads) == len(layer.trainable_weights) > 0
    for weight, grad in zip(layer.trainable_weights, grads):
        assert grad is not None, weight.name
        assert tuple(grad.shape) == tuple(weight.shape)
        assert np.any(np.asarray(grad) != 0), weight.name


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "lambda"], ids=str)
def test_config_round_trip_rebuilds_the_same_function(case):
    layer, x = _build(case)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    clone(x)
    clone.set_weights(layer.get_weights())
    assert clone.get_config() == {**config, "name": clone.name}
    for a, b in zip(ff.nest.flatten(clone(x)), ff.nest.flatten(layer(x))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
