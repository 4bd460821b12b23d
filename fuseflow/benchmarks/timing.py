"""Timing: warm up, then medians over blocks of back-to-back calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Per-call statistics in microseconds."""

    median_us: float
    p10_us: float
    p90_us: float
    first_call_s: float
    calls: int


def measure(run: Callable[[], object], budget_s: float = 1.0, block_s: float = 0.01,
            min_blocks: int = 7, warmup_s: float = 0.2) -> Timing:
    """Time `run`: its first call alone, a warm-up, then blocks of about `block_s` each."""
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    deadline = time.perf_counter() + warmup_s
    one = first
    for _ in range(3):
        t0 = time.perf_counter()
        run()
        one = time.perf_counter() - t0
    while time.perf_counter() < deadline:
        run()
    inner = max(1, int(block_s / max(one, 1e-9)))
    per_call: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(per_call) < min_blocks or time.perf_counter() < deadline:
        t0 = time.perf_counter()
        for _ in range(inner):
            run()
        per_call.append((time.perf_counter() - t0) / inner)
        if len(per_call) >= 150:
            break
    us = np.array(per_call) * 1e6
    return Timing(float(np.median(us)), float(np.percentile(us, 10)),
                  float(np.percentile(us, 90)), first, inner * len(per_call))
