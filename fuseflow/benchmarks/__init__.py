"""Benchmark workloads W1-W6 (see BENCH.md): builders of zero-argument step functions.

`WORKLOADS[key].build(mode)` returns a callable doing one unit of work in `mode`; `baseline`
names the mode the others are compared with (ratios measured in one run); `flops` (when set)
turns a time into GFLOP/s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FUSEFLOW_MODES = ("eager", "graph", "compiled")


@dataclass(frozen=True)
class Workload:
    """One benchmark workload: how to build each mode and what to compare it with."""

    key: str
    title: str
    build: Callable[[str], Callable[[], object]]
    modes: tuple[str, ...]
    baseline: str = "numpy"
    flops: int | None = None


def _mlp(sizes: tuple[int, ...], batch: int):
    def build(mode: str):
        from fuseflow.benchmarks import mlp

        problem = mlp.make_problem(sizes, batch, seed=0)
        return mlp.numpy_step(problem) if mode == "numpy" else mlp.fuseflow_step(problem, mode)

    return build


def _cnn(mode: str):
    from fuseflow.benchmarks import cnn

    problem = cnn.make_problem()
    return cnn.numpy_step(problem) if mode == "numpy" else cnn.fuseflow_step(problem, mode)


def _kernel(name: str):
    def build(mode: str):
        from fuseflow.benchmarks import kernels

        return getattr(kernels, name)(mode)

    return build


_STEP_MODES = ("numpy", *FUSEFLOW_MODES)
_KERNEL_MODES = (*_STEP_MODES, "executable")

WORKLOADS: dict[str, Workload] = {
    "W1": Workload("W1", "MLP 784-256-256-10, batch 128, training step", _mlp((784, 256, 256, 10),
                                                                                128), _STEP_MODES),
    "W2": Workload("W2", "MLP 784-64-10, batch 32, training step", _mlp((784, 64, 10), 32),
                   _STEP_MODES),
    "W3": Workload("W3", "CNN 32x32x3 batch 32, training step", _cnn, _STEP_MODES),
    "W4": Workload("W4", "tanh(0.5x+1)*sigmoid(x)-0.1x^2 on 4M floats", _kernel("w4"),
                   ("pass", *_KERNEL_MODES), baseline="pass"),
    "W5": Workload("W5", "sgemm 1024^3", _kernel("w5"), _KERNEL_MODES, flops=2 * 1024 ** 3),
    "W6": Workload("W6", "x + 1.0 on 10 floats", _kernel("w6"), _KERNEL_MODES),
}
