"""Fit the float32 polynomial coefficients used by fuseflow/compiler/mathlib.py.

Each fit minimizes the maximum relative error of the whole function (not of the fitted tail)
over its reduced range by Lawson's iteratively reweighted least squares in float64, which
converges to the minimax (equioscillating) solution. Fixed leading terms are exact in float32
and stay out of the fit. Prints the coefficients to paste and the relative error reached.

Run: `python bench/fit_mathlib.py`
"""

from __future__ import annotations

import math

import numpy as np


def lawson(basis: np.ndarray, target: np.ndarray, weight: np.ndarray, rounds: int = 400):
    """Coefficients c minimizing max |weight * (basis @ c - target)| (Lawson's algorithm)."""
    lw = np.full(len(target), 1.0 / len(target))
    coefs = np.zeros(basis.shape[1])
    for _ in range(rounds):
        sw = np.sqrt(lw)
        coefs = np.linalg.lstsq(basis * (weight * sw)[:, None], target * weight * sw,
                                rcond=None)[0]
        err = np.abs(weight * (basis @ coefs - target))
        lw = lw * err
        lw /= lw.sum()
    return coefs, float(np.max(np.abs(weight * (basis @ coefs - target))))


def fit_expm1_double(degree: int = 4):
    """expm1(2s) = 2s + s^2 q(s) on |s| <= ln2/4 (tanh's reduced range), q of `degree`."""
    s = np.linspace(-math.log(2) / 4, math.log(2) / 4, 20001)
    s = s[s != 0]
    f = np.expm1(2 * s)
    basis = np.stack([s ** (k + 2) for k in range(degree + 1)], axis=1)
    return lawson(basis, f - 2 * s, 1 / np.abs(f))


def fit_exp(degree: int = 6):
    """exp(r) = 1 + r + r^2 q(r) on |r| <= ln2/2, q of `degree` - 2."""
    r = np.linspace(-math.log(2) / 2, math.log(2) / 2, 20001)
    f = np.exp(r)
    basis = np.stack([r ** k for k in range(2, degree + 1)], axis=1)
    return lawson(basis, f - 1 - r, 1 / f)


def main() -> None:
    for name, (coefs, err) in [("expm1(2s) tail, s^2..s^6", fit_expm1_double(4)),
                               ("exp tail, r^2..r^6", fit_exp(6)),
                               ("exp tail, r^2..r^5", fit_exp(5))]:
        print(f"{name}: max relative error {err:.3g}")
        print("   ", ", ".join(repr(float(c)) for c in coefs))


if __name__ == "__main__":
    main()
