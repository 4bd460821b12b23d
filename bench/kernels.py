"""Ratios of fuseflow's compiled path to NumPy, measured side by side in one run (medians).

W1-W3 training steps vs the hand-written NumPy step; W4 vs one streaming `np.add` pass; W5 in
GFLOP/s vs NumPy's BLAS; W6 (executable alone and whole call) vs NumPy's `x + 1`.
Pin threads the same way for both sides.

Run: `OPENBLAS_NUM_THREADS=2 python bench/kernels.py [W1 W2 ...]`
"""

from __future__ import annotations

import os
import sys
import time

from fuseflow.benchmarks import WORKLOADS
from fuseflow.benchmarks.timing import measure


def report(key: str, budget_s: float = 1.5) -> None:
    """Print one workload's baseline, compiled (and executable) timings and their ratios."""
    workload = WORKLOADS[key]
    modes = [m for m in (workload.baseline, "compiled", "executable") if m in workload.modes]
    runs = {}
    for mode in modes:
        start = time.perf_counter()
        runs[mode] = workload.build(mode)
        runs[mode]()
        if mode == "compiled":
            print(f"{key} cold build + first call {time.perf_counter() - start:.2f} s")
    times = {mode: measure(run, budget_s=budget_s).median_us for mode, run in runs.items()}
    base = times[workload.baseline]
    parts = []
    for mode, us in times.items():
        if workload.flops:
            parts.append(f"{mode} {workload.flops / us / 1e3:7.1f} GFLOP/s")
        else:
            parts.append(f"{mode} {us:9.1f} us")
        if mode != workload.baseline:
            parts[-1] += f" ({us / base:.2f}x time)" if not workload.flops else \
                f" ({base / us:.2f}x {workload.baseline})"
    print(f"{key} " + " | ".join(parts))


def main(argv: list[str]) -> None:
    from fuseflow.compiler.codegen import get_codegen
    from fuseflow.runtime.threads import set_intra_op_parallelism_threads

    codegen = get_codegen()
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "2"))
    set_intra_op_parallelism_threads(threads)  # the same count as NumPy's BLAS
    print(f"host: {codegen.cpu}, {codegen.vector_bits}-bit vectors, {threads} threads")
    for key in argv or ["W1", "W2", "W4", "W5", "W6"]:
        report(key)


if __name__ == "__main__":
    main(sys.argv[1:])
