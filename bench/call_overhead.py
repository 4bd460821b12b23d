"""W6: call overhead of `f(x)` with `f = function(lambda x: x + 1.0)` on 10 floats, vs NumPy.

Reports µs per call (median of blocks) for NumPy's `x + 1`, the traced function in graph mode
(`jit_compile=False`) and in the default mode, all in one run.
"""

from __future__ import annotations

import statistics
import timeit

import numpy as np

import fuseflow as ff


def per_call_us(fn, number: int = 100_000, blocks: int = 15) -> float:
    fn()
    return statistics.median(timeit.repeat(fn, number=number, repeat=blocks)) / number * 1e6


def main() -> None:
    array = np.arange(10, dtype=np.float32)
    x = ff.constant(array)
    numpy_us = per_call_us(lambda: array + 1)
    print(f"NumPy x + 1               {numpy_us:7.3f} us")
    for label, jit in (("graph (jit_compile=False)", False), ("default (jit_compile=None)", None)):
        f = ff.function(lambda t: t + 1.0, jit_compile=jit)
        f(x)
        us = per_call_us(lambda f=f: f(x))
        print(f"{label:<26}{us:7.3f} us  = {us / numpy_us:.2f}x NumPy")


if __name__ == "__main__":
    main()
