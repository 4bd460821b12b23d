"""`fuseflow bench`: the workloads of the benchmark guide in NumPy and fuseflow's three modes,
side by side in one run, with ratios (speed is compared only within one run)."""

from __future__ import annotations

import json
import os
import time
import warnings

import numpy as np

MODES = ("eager", "graph", "compiled")


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


def run_bench(keys: list[str], budget: float = 1.0, modes=MODES) -> list:
    """Time each workload's baseline, NumPy and fuseflow sides; one dict per workload."""
    from fuseflow.benchmarks import WORKLOADS as table
    from fuseflow.benchmarks.timing import measure

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


# The side measured before may leave the OS busy for a while (returning the memory of
# thousands of large temporaries); a pause keeps that off the next side's clock.
SETTLE_S = 0.5


def _run_one(work, key: str, budget: float, modes, measure) -> dict:
    row = {"key": key, "title": work.title, "unit": "GFLOP/s" if work.flops else "µs",
           "baseline": work.baseline}
    for side in dict.fromkeys((work.baseline, "numpy", *modes)):
        time.sleep(min(SETTLE_S, budget))
        timing = measure(work.build(side), budget_s=budget, warmup_s=min(0.2, budget),
                         min_blocks=5)
        row[side] = timing.median_us
        row[f"{side}_first_s"] = timing.first_call_s
    if work.flops:
        row["gflops"] = {s: work.flops / row[s] / 1e3 for s in ("numpy", *modes)}
    return row


_BASELINE_NAMES = {"numpy": "NumPy", "pass": "np.add pass"}


def format_table(results: list, modes=MODES) -> str:
    """Markdown: median µs per side (GFLOP/s for matmul) and each mode's ratio to the
    workload's baseline (NumPy doing the same work; for W4 one streaming np.add pass)."""
    sides = ("numpy", *modes)
    head = ["workload", *sides, "baseline", *[f"{m}/baseline" for m in modes]]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for row in results:
        base = row["baseline"]
        if row["unit"] == "GFLOP/s":
            cells = [f"{row['gflops'][s]:,.1f} GFLOP/s" for s in sides]
            ratios = [f"{row['gflops'][m] / row['gflops'][base]:.2f}x" for m in modes]
        else:
            cells = [f"{row[s]:,.1f} µs" for s in sides]
            ratios = [f"{row[m] / row[base]:.2f}x" for m in modes]
        label = _BASELINE_NAMES.get(base, base)
        if base != "numpy":
            label += f" {row[base]:,.1f} µs"
        lines.append(f"| {row['key']} " + "".join(f"| {c} " for c in [*cells, label, *ratios])
                     + "|")
    return "\n".join(lines)


def _main(args) -> int:
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise SystemExit(f"fuseflow bench: unknown mode(s) {', '.join(bad)}; use {MODES}")
    results = run_bench(args.workloads, args.budget, modes)
    print(_machine_line())
    print(format_table(results, modes))
    print("ratios: time / baseline time (below 1 is faster); for GFLOP/s rows, rate / NumPy rate")
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
