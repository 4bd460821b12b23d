"""W4, W5, W6 for the compiled path, each as a ratio to NumPy measured in the same run.

W4: `tanh(0.5x+1) * sigmoid(x) - 0.1x^2` on 4M float32 vs one streaming `np.add(a, 1, out=b)`.
W5: 1024^3 float32 matmul through fuseflow's own kernel vs NumPy's BLAS (GFLOP/s).
W6: `x + 1.0` on 10 floats: the compiled executable alone and the whole `function` call, vs
NumPy's `x + 1`. Pin threads the same way for both sides (`OPENBLAS_NUM_THREADS=2`).

Run: `OPENBLAS_NUM_THREADS=2 python bench/kernels.py`
"""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.benchmarks.timing import measure


def _executable(fn, *arrays):
    """The compiled executable behind `fn` for these arrays (warmed up)."""
    concrete = fn.get_concrete_function(*[ff.constant(a) for a in arrays])
    run = concrete.executable()
    run(list(arrays))
    return run


def w4() -> None:
    x = np.random.default_rng(0).standard_normal(4_000_000).astype(np.float32)
    out = np.empty_like(x)
    f = ff.function(lambda t: ff.tanh(0.5 * t + 1.0) * ff.nn.sigmoid(t) - 0.1 * t * t)
    run = _executable(f, x)
    chain = lambda: np.tanh(0.5 * x + 1) * (1 / (1 + np.exp(-x))) - 0.1 * x * x
    stream = measure(lambda: np.add(x, 1, out=out), budget_s=2.0).median_us
    ours = measure(lambda: run([x]), budget_s=2.0).median_us
    numpy_chain = measure(chain, budget_s=2.0).median_us
    print(f"W4  np.add pass {stream:9.0f} us | fuseflow {ours:9.0f} us ({ours / stream:.2f}x the "
          f"pass) | NumPy chain {numpy_chain:9.0f} us ({numpy_chain / stream:.2f}x)")


def w5(n: int = 1024) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    run = _executable(ff.function(lambda x, y: ff.matmul(x, y)), a, b)
    flops = 2 * n ** 3
    numpy_gf = flops / measure(lambda: a @ b, budget_s=3.0).median_us / 1e3
    ours_gf = flops / measure(lambda: run([a, b]), budget_s=3.0).median_us / 1e3
    print(f"W5  NumPy {numpy_gf:7.1f} GFLOP/s | fuseflow {ours_gf:7.1f} GFLOP/s "
          f"({ours_gf / numpy_gf:.2f}x NumPy)")


def w6() -> None:
    x = np.arange(10, dtype=np.float32)
    tensor = ff.constant(x)
    f = ff.function(lambda t: t + 1.0)
    run = _executable(f, x)
    numpy_us = measure(lambda: x + 1).median_us
    exe_us = measure(lambda: run([x])).median_us
    call_us = measure(lambda: f(tensor)).median_us
    print(f"W6  NumPy x+1 {numpy_us:6.2f} us | executable {exe_us:6.2f} us "
          f"({exe_us / numpy_us:.2f}x) | function call {call_us:6.2f} us "
          f"({call_us / numpy_us:.2f}x)")


def main() -> None:
    from fuseflow.compiler.codegen import get_codegen

    codegen = get_codegen()
    print(f"host: {codegen.cpu}, {codegen.vector_bits}-bit vectors")
    w4()
    w5()
    w6()


if __name__ == "__main__":
    main()
