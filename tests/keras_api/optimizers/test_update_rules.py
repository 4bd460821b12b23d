"""Each optimizer's update against a float64 NumPy transcription of the Keras formula."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import optimizers

STEPS = 4


def sgd_ref(w, grads, lr=0.05, momentum=0.0, nesterov=False):
    m = np.zeros_like(w)
    for g in grads:
        if not momentum:
            w = w - lr * g
            continue
        m = momentum * m - lr * g
        w = w + (momentum * m - lr * g if nesterov else m)
    return w


def adam_ref(w, grads, lr=0.05, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if wd:
            w = w - w * wd * lr
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        if amsgrad:
            vhat = np.maximum(vhat, v)
            w = w - m * alpha / (np.sqrt(vhat) + eps)
        else:
            w = w - m * alpha / (np.sqrt(v) + eps)
    return w


def rmsprop_ref(w, grads, lr=0.05, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    vel, mom, avg = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        vel = rho * vel + (1 - rho) * g * g
        if centered:
            avg = rho * avg + (1 - rho) * g
            denom = vel - avg * avg + eps
        else:
            denom = vel + eps
        inc = lr * g / np.sqrt(denom)
        if momentum > 0:
            mom = momentum * mom + inc
            w = w - mom
        else:
            w = w - inc
    return w


def adagrad_ref(w, grads, lr=0.05, init=0.1, eps=1e-7):
    acc = np.full_like(w, init)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def adadelta_ref(w, grads, lr=0.05, rho=0.95, eps=1e-7):
    ag, ad = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        ag = rho * ag + (1 - rho) * g * g
        delta = -np.sqrt(ad + eps) * g / np.sqrt(ag + eps)
        ad = rho * ad + (1 - rho) * delta * delta
        w = w + lr * delta
    return w


def adamax_ref(w, grads, lr=0.05, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1**t) * (u + eps))
    return w


def nadam_ref(w, grads, lr=0.05, b1=0.9, b2=0.999, eps=1e-7):
    m, v, u_product = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, start=1):
        u_t = b1 * (1 - 0.5 * 0.96**t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - b2**t)
        w = w - m_hat * lr / (np.sqrt(v_hat) + eps)
    return w


def ftrl_ref(w, grads, lr=0.05, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    acc, lin = np.full_like(w, init), np.zeros_like(w)
    for g in grads:
        l2_total = l2 + beta / (2 * lr)
        g_shrunk = g + 2 * shrink * w
        new_acc = acc + g * g
        lin = lin + g_shrunk - (new_acc ** -power - acc ** -power) / lr * w
        quadratic = new_acc ** -power / lr + 2 * l2_total
        w = (np.clip(lin, -l1, l1) - lin) / quadratic
        acc = new_acc
    return w


CASES = [
    ("sgd", lambda: optimizers.SGD(0.05), sgd_ref, {}),
    ("sgd_momentum", lambda: optimizers.SGD(0.05, momentum=0.9), sgd_ref, {"momentum": 0.9}),
    ("sgd_nesterov", lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True), sgd_ref,
     {"momentum": 0.9, "nesterov": True}),
    ("adam", lambda: optimizers.Adam(0.05), adam_ref, {}),
    ("adam_amsgrad", lambda: optimizers.Adam(0.05, amsgrad=True), adam_ref, {"amsgrad": True}),
    ("adamw", lambda: optimizers.AdamW(0.05, weight_decay=0.1), adam_ref, {"wd": 0.1}),
    ("rmsprop", lambda: optimizers.RMSprop(0.05), rmsprop_ref, {}),
    ("rmsprop_momentum_centered",
     lambda: optimizers.RMSprop(0.05, momentum=0.5, centered=True), rmsprop_ref,
     {"momentum": 0.5, "centered": True}),
    ("adagrad", lambda: optimizers.Adagrad(0.05), adagrad_ref, {}),
    ("adadelta", lambda: optimizers.Adadelta(0.05), adadelta_ref, {}),
    ("adamax", lambda: optimizers.Adamax(0.05), adamax_ref, {}),
    ("nadam", lambda: optimizers.Nadam(0.05), nadam_ref, {}),
    ("ftrl", lambda: optimizers.Ftrl(0.05), ftrl_ref, {}),
    ("ftrl_regularized",
     lambda: optimizers.Ftrl(0.05, l1_regularization_strength=0.01,
                             l2_regularization_strength=0.02,
                             l2_shrinkage_regularization_strength=0.03, beta=0.1),
     ftrl_ref, {"l1": 0.01, "l2": 0.02, "shrink": 0.03, "beta": 0.1}),
]


def _grads(seed=0, shape=(3, 2), steps=STEPS):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


@pytest.mark.parametrize("name,make,ref,kwargs", CASES, ids=[c[0] for c in CASES])
def test_update_matches_keras_formula(name, make, ref, kwargs):
    w0 = np.random.default_rng(1).standard_normal((3, 2))
    grads = _grads()
    variable = ff.Variable(w0.astype(np.float32))
    optimizer = make()
    for g in grads:
        optimizer.apply_gradients([(ff.constant(g.astype(np.float32)), variable)])
    expected = ref(w0, grads, **kwargs)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=2e-5, atol=2e-6)
    assert int(optimizer.iterations.numpy()) == STEPS


@pytest.mark.parametrize("name,make,ref,kwargs", CASES, ids=[c[0] for c in CASES])
def test_update_in_float64_variables(name, make, ref, kwargs):
    w0 = np.random.default_rng(2).standard_normal((4,))
    grads = _grads(3, (4,))
    variable = ff.Variable(w0)
    optimizer = make()
    for g in grads:
        optimizer.apply_gradients([(ff.constant(g), variable)])
    lr = float(np.float32(0.05))  # the learning rate is held in a float32 Variable
    # 1e-7, not 1e-12: Nadam keeps its momentum product in float32, as Keras does
    np.testing.assert_allclose(variable.numpy(), ref(w0, grads, lr=lr, **kwargs), rtol=1e-7)
