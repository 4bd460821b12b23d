"""`fuseflow bench`: the workloads of the benchmark guide in NumPy and fuseflow's three modes,
side by side in one run, with ratios (speed is compared only within one run)."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MODES = ("eager", "graph", "compiled")


@dataclass(frozen=True)
class Workload:
    """One benchmark: `build(side)` returns a zero-argument callable for "numpy" or a mode."""

    key: str
    title: str
    build: Callable[[str], Callable[[], object]]
    flops: float | None = None  # per call: reported as GFLOP/s instead of µs


def add_parser(commands) -> None:
    """Register `bench` on the CLI's subcommands."""
    parser = commands.add_parser(
        "bench", help="run the benchmark workloads in NumPy and the three modes",
        description="Run workloads W1..W6 (see the benchmark guide) in plain NumPy and in "
                    "fuseflow eager, graph and compiled, in one run, and print ratios.")
    parser.add_argument("workloads", nargs="*", default=["all"], metavar="W",
                        help="W1..W6 or all (default: all)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="seconds of timed calls per workload and side (default 1.0)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated fuseflow modes to run (default: all three)")
    parser.set_defaults(run=_main)


def _mlp(sizes: tuple[int, ...], batch: int):
    from fuseflow.benchmarks import mlp

    def build(side: str):
        problem = mlp.make_problem(sizes, batch, seed=0)
        return mlp.numpy_step(problem) if side == "numpy" else mlp.fuseflow_step(problem, side)
    return build


def _elementwise(size: int):
    def build(side: str):
        x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
        if side == "numpy":
            return lambda: np.tanh(0.5 * x + 1) * (1 / (1 + np.exp(-x))) - 0.1 * x * x
        return _fuseflow_call(lambda tf, x: tf.tanh(0.5 * x + 1.0) * tf.sigmoid(x)
                              - 0.1 * x * x, side, x)
    return build


def _matmul(n: int):
    def build(side: str):
        rng = np.random.default_rng(0)
        a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
        if side == "numpy":
            return lambda: a @ b
        return _fuseflow_call(lambda tf, a, b: tf.matmul(a, b), side, a, b)
    return build


def _add_one(side: str):
    x = np.arange(10, dtype=np.float32)
    if side == "numpy":
        return lambda: x + 1.0
    return _fuseflow_call(lambda tf, x: x + 1.0, side, x)


def _fuseflow_call(body, side: str, *arrays):
    import fuseflow as tf

    tensors = [tf.constant(a) for a in arrays]
    fn = lambda *xs: body(tf, *xs)
    if side != "eager":
        fn = tf.function(fn, jit_compile=(side == "compiled"))
    return lambda: fn(*tensors)


def workloads(tiny: bool = False) -> dict[str, Workload]:
    """The workloads by key; `tiny` shrinks them to test sizes."""
    shared = _shared_workloads(tiny)
    n5, n4 = (64, 4096) if tiny else (1024, 4_000_000)
    built = {
        "W1": Workload("W1", "MLP 784-256-256-10 b128 train step",
                       _mlp((784, 256, 256, 10), 128 if not tiny else 8)),
        "W2": Workload("W2", "MLP 784-64-10 b32 train step", _mlp((784, 64, 10), 32)),
        "W4": Workload("W4", f"tanh/sigmoid chain on {n4:,} floats", _elementwise(n4)),
        "W5": Workload("W5", f"{n5}x{n5} @ {n5}x{n5}", _matmul(n5), flops=2.0 * n5**3),
        "W6": Workload("W6", "x + 1 on 10 floats", _add_one),
    }
    built.update(shared)
    return dict(sorted(built.items()))


def _shared_workloads(tiny: bool) -> dict[str, Workload]:
    """Workloads `fuseflow.benchmarks` publishes as `WORKLOADS` (they replace the ones here)."""
    import fuseflow.benchmarks as benchmarks

    found = getattr(benchmarks, "workloads", None) or getattr(benchmarks, "WORKLOADS", None)
    if callable(found):
        found = found(tiny=tiny)
    out = {}
    for key, item in (found or {}).items():
        if isinstance(item, Workload):
            out[key] = item
        elif hasattr(item, "build"):
            out[key] = Workload(key, getattr(item, "title", key), item.build,
                                getattr(item, "flops", None))
    return out


def run_bench(keys: list[str], budget: float = 1.0, modes=MODES, tiny: bool = False) -> list:
    """Time each workload's NumPy and fuseflow sides; one dict per workload."""
    from fuseflow.benchmarks.timing import measure

    table = workloads(tiny)
    keys = list(table) if "all" in keys else [k.upper() for k in keys]
    unknown = [k for k in keys if k not in table]
    if unknown:
        raise SystemExit(f"fuseflow bench: unknown workload(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(table)} or all")
    results = []
    with warnings.catch_warnings():
        # every workload builds its own functions from shared lambdas: not a retracing bug
        warnings.filterwarnings("ignore", message=".*separate function objects")
        for key in keys:
            results.append(_run_one(table[key], key, budget, modes, measure))
    return results


def _run_one(work: Workload, key: str, budget: float, modes, measure) -> dict:
    row = {"key": key, "title": work.title, "unit": "GFLOP/s" if work.flops else "µs"}
    for side in ("numpy", *modes):
        timing = measure(work.build(side), budget_s=budget, warmup_s=min(0.2, budget),
                         min_blocks=5)
        row[side] = timing.median_us
        row[f"{side}_first_s"] = timing.first_call_s
    if work.flops:
        row["gflops"] = {s: work.flops / row[s] / 1e3 for s in ("numpy", *modes)}
    return row


def format_table(results: list, modes=MODES) -> str:
    """Markdown: median µs per side (GFLOP/s for matmul) and each mode's ratio to NumPy."""
    sides = ("numpy", *modes)
    head = ["workload", *[f"{s}" for s in sides], *[f"{m}/numpy" for m in modes]]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for row in results:
        if row["unit"] == "GFLOP/s":
            cells = [f"{row['gflops'][s]:,.1f} GFLOP/s" for s in sides]
            ratios = [f"{row['gflops'][m] / row['gflops']['numpy']:.2f}x" for m in modes]
        else:
            cells = [f"{row[s]:,.1f} µs" for s in sides]
            ratios = [f"{row[m] / row['numpy']:.2f}x" for m in modes]
        lines.append(f"| {row['key']} " + "".join(f"| {c} " for c in cells + ratios) + "|")
    return "\n".join(lines)


def _main(args) -> int:
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise SystemExit(f"fuseflow bench: unknown mode(s) {', '.join(bad)}; use {MODES}")
    tiny = bool(os.environ.get("FUSEFLOW_BENCH_TINY"))
    results = run_bench(args.workloads, args.budget, modes, tiny)
    print(_machine_line())
    print(format_table(results, modes))
    print("ratios: time / NumPy time (below 1 is faster); for GFLOP/s rows, rate / NumPy rate")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": _machine_line(), "results": results}, f, indent=2)
    return 0


def _machine_line() -> str:
    import platform

    import llvmlite.binding as llvm

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return (f"machine: {platform.machine()} {llvm.get_host_cpu_name()}, {os.cpu_count()} cpus, "
            f"OPENBLAS_NUM_THREADS={threads}, numpy {np.__version__}")
