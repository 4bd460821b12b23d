"""OpCase: one public call of an op, how to sample its inputs, and its float64 reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OpCase:
    """One test case of op `op`.

    fn:        calls the public API on tensors (`lambda x, y: ff.add(x, y)`).
    sample:    rng -> list of input arrays (float32 for float inputs).
    reference: the same computation in NumPy on float64 inputs (an independent formula).
    grad:      False for ops whose output carries no gradient (ints, bools) or whose gradient is
               not defined at the sampled points.
    """

    op: str
    fn: Callable
    sample: Callable[[np.random.Generator], list]
    reference: Callable | None
    label: str = ""
    grad: bool = True
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_rtol: float = 1e-3

    def sample_inputs(self, seed: int = 0) -> list:
        return self.sample(np.random.default_rng(seed))

    def __str__(self) -> str:
        return f"{self.op}[{self.label}]" if self.label else self.op


def floats(*shape: int, low: float = -2.0, high: float = 2.0):
    """A sampler part: uniform float32 values."""
    return lambda rng: rng.uniform(low, high, size=shape).astype(np.float32)


def positive(*shape: int, low: float = 0.5, high: float = 2.0):
    return floats(*shape, low=low, high=high)


def ints(*shape: int, low: int = -5, high: int = 5):
    return lambda rng: rng.integers(low, high, size=shape).astype(np.int32)


def sample(*parts) -> Callable[[np.random.Generator], list]:
    """Combine sampler parts into a case's `sample`."""
    return lambda rng: [part(rng) for part in parts]
