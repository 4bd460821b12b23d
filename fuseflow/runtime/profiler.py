"""`compare(fn, *args)`: run one function eagerly, as a graph and compiled; time and check it.

Every mode starts from the same variable values (they are restored before each mode's first
call and again at the end), so a training step gives comparable first results and `compare`
never trains the user's model by accident.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from fuseflow.core import nest
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.graph.retracing import RetracingWarning

MODES = ("eager", "graph", "compiled")


class ModeMismatchError(AssertionError):
    """Two modes of `compare` gave different results."""


@dataclass
class KernelStats:
    """One fused kernel of the compiled plan: its work and, when timed, its speed."""

    name: str
    ops: tuple[str, ...] = ()
    flops: int | None = None
    bytes: int | None = None
    time_us: float | None = None

    @property
    def gflops(self) -> float | None:
        """Achieved GFLOP/s (FLOPs over the kernel's own time)."""
        if self.flops is None or not self.time_us:
            return None
        return self.flops / self.time_us / 1e3

    @property
    def gbps(self) -> float | None:
        """Achieved GB/s (bytes read and written over the kernel's own time)."""
        if self.bytes is None or not self.time_us:
            return None
        return self.bytes / self.time_us / 1e3


@dataclass
class ModeStats:
    """One mode's timings: the first call (split by phase) and the steady state."""

    mode: str
    first_call_s: float
    phases: dict[str, float]
    median_us: float
    p10_us: float
    p90_us: float
    calls: int
    speedup: float | None = None
    max_diff: float = 0.0
    kernels: list[KernelStats] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What `compare` measured: one `ModeStats` per mode, plus this machine's peak."""

    name: str
    modes: list[ModeStats]
    peak: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, mode: str) -> ModeStats:
        for stats in self.modes:
            if stats.mode == mode:
                return stats
        raise KeyError(f"no mode {mode!r} in this report (modes: "
                       f"{', '.join(s.mode for s in self.modes)})")

    def to_dict(self) -> dict:
        """Plain data (JSON-serializable)."""
        modes = []
        for stats in self.modes:
            entry = asdict(stats)
            for kernel, raw in zip(stats.kernels, entry["kernels"]):
                raw.update(gflops=kernel.gflops, gbps=kernel.gbps)
            modes.append(entry)
        return {"name": self.name, "modes": modes, "peak": dict(self.peak)}

    def to_markdown(self) -> str:
        """The timing table (and the kernel table, when compiled ran) as Markdown."""
        return _tables(self, markdown=True)

    def __str__(self) -> str:
        return _tables(self, markdown=False)

    def plot(self, path: str) -> None:
        """Save a bar chart of the steady-state times to `path` (needs matplotlib)."""
        _plot(self, path)


def compare(fn: Callable, *args, modes: Sequence[str] = MODES, repeats: int = 15,
            block_s: float = 0.005, rtol: float = 1e-5, atol: float = 1e-6,
            **kwargs) -> Report:
    """Run `fn(*args, **kwargs)` in each mode, check the results agree, and time each mode.

    Args:
        fn: a plain Python function or a `fuseflow.function`.
        *args, **kwargs: its arguments (NumPy arrays are converted to tensors once).
        modes: any of "eager", "graph" (traced, interpreted) and "compiled" (traced, native).
        repeats: how many timed blocks per mode (the median, p10 and p90 are over blocks).
        block_s: the approximate length of one block of back-to-back calls.
        rtol, atol: how closely every mode's first results must match the first mode's.

    Returns:
        A `Report`; `print(report)` shows the table.

    Raises:
        ModeMismatchError: a mode's results differ, naming the mode, the output and max diff.
    """
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"compare: modes must be a non-empty subset of {MODES}, got {modes!r}")
    with warnings.catch_warnings():
        # compare makes a fresh function per mode on purpose: that is not a retracing bug
        warnings.simplefilter("ignore", RetracingWarning)
        return _compare(fn, args, kwargs, modes, repeats, block_s, rtol, atol)


def _compare(fn, args, kwargs, modes, repeats, block_s, rtol, atol) -> Report:
    python_fn = getattr(fn, "python_function", fn)
    args = tuple(_as_tensor(a) for a in args)
    kwargs = {k: _as_tensor(v) for k, v in kwargs.items()}
    snapshot = _Snapshot(_variables(fn, python_fn, args, kwargs, modes))
    name = getattr(python_fn, "__name__", "function")
    results, stats = {}, []
    try:
        for mode in modes:
            snapshot.restore()
            runner = _runner(fn, python_fn, mode)
            first, phases, outputs = _first_call(runner, mode, args, kwargs)
            results[mode] = outputs
            timing = _steady(lambda runner=runner: runner(*args, **kwargs), repeats, block_s)
            mode_stats = ModeStats(mode, first, phases, *timing)
            if mode == "compiled":
                _attach_kernels(mode_stats, runner, args, kwargs, max(5, repeats))
            stats.append(mode_stats)
    finally:
        snapshot.restore()
    _check_agreement(name, modes, results, stats, rtol, atol)
    _speedups(stats)
    peak = machine_peak() if any(s.kernels for s in stats) else {}
    return Report(name, stats, peak)


def _as_tensor(value):
    return convert_to_tensor(value) if isinstance(value, np.ndarray) else value


def _runner(fn, python_fn, mode: str):
    """A callable running `python_fn` in `mode` (a fresh trace cache for traced modes)."""
    from fuseflow.graph.function import Function

    if mode == "eager":
        return python_fn
    options = {}
    passes = getattr(fn, "passes", None)  # a pipeline given to `fuseflow.function(passes=)`
    if passes is not None:
        options["passes"] = passes
    return Function(python_fn, getattr(fn, "input_signature", None),
                    jit_compile=(mode == "compiled"), **options)


def _variables(fn, python_fn, args, kwargs, modes) -> list:
    """The variables the function reads or writes, found by tracing it (no state changes)."""
    if modes == ("eager",) or list(modes) == ["eager"]:
        return []
    concrete = _runner(fn, python_fn, "graph").get_concrete_function(*args, **kwargs)
    return list(concrete.variables)


class _Snapshot:
    """Copies of variable values, put back with `restore()`."""

    def __init__(self, variables: list):
        self.saved = [(v, np.array(v._value, copy=True)) for v in variables]

    def restore(self) -> None:
        for variable, value in self.saved:
            variable._value = np.array(value, copy=True)
            variable._tensor = None


def _first_call(runner, mode: str, args, kwargs):
    """Time the first call, split into trace / optimize / compile-or-cache-load / run."""
    from fuseflow.compiler import cache

    phases: dict[str, float] = {}
    start = time.perf_counter()
    if mode != "eager":
        concrete = runner.get_concrete_function(*args, **kwargs)
        traced = time.perf_counter()
        phases["trace"] = traced - start
        concrete.executable()
        phases["optimize" if mode == "compiled" else "build"] = time.perf_counter() - traced
    before = dict(cache.stats)
    run_start = time.perf_counter()
    outputs = _arrays(runner(*args, **kwargs))
    run_s = time.perf_counter() - run_start
    if mode == "compiled":
        compiled = cache.stats["compiled"] > before["compiled"]
        phases["compile" if compiled else "cache_load"] = run_s
    else:
        phases["run"] = run_s
    return time.perf_counter() - start, phases, outputs


def _arrays(result) -> list[np.ndarray]:
    leaves = nest.flatten(result)
    return [np.asarray(v.numpy() if isinstance(v, Tensor) else v) for v in leaves
            if isinstance(v, Tensor | np.ndarray | float | int)]


def _steady(call: Callable[[], object], repeats: int, block_s: float):
    """(median, p10, p90 in µs per call, number of calls) over `repeats` timed blocks."""
    t0 = time.perf_counter()
    call()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(block_s / one))
    samples = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        for _ in range(inner):
            call()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    us = np.array(samples)
    return (float(np.median(us)), float(np.percentile(us, 10)), float(np.percentile(us, 90)),
            inner * len(samples))


def _check_agreement(name, modes, results, stats, rtol, atol) -> None:
    reference = modes[0]
    expected = results[reference]
    for mode_stats in stats:
        got = results[mode_stats.mode]
        if len(got) != len(expected):
            raise ModeMismatchError(f"compare({name}): mode {mode_stats.mode!r} returned "
                                    f"{len(got)} outputs, {reference!r} returned {len(expected)}")
        for index, (a, b) in enumerate(zip(expected, got)):
            diff = _max_diff(a, b, name, mode_stats.mode, reference, index)
            mode_stats.max_diff = max(mode_stats.max_diff, diff)
            if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
                raise ModeMismatchError(
                    f"compare({name}): mode {mode_stats.mode!r} disagrees with {reference!r} on "
                    f"output {index} (shape {a.shape}): max abs diff {diff:.3g} "
                    f"(rtol={rtol}, atol={atol})")


def _max_diff(a, b, name, mode, reference, index) -> float:
    if a.shape != b.shape:
        raise ModeMismatchError(f"compare({name}): mode {mode!r} output {index} has shape "
                                f"{b.shape}, {reference!r} gave {a.shape}")
    if a.size == 0 or a.dtype.kind not in "fiub" or b.dtype.kind not in "fiub":
        return 0.0 if np.array_equal(a, b) else float("inf")
    return float(np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def _speedups(stats: list[ModeStats]) -> None:
    eager = next((s for s in stats if s.mode == "eager"), None)
    for mode_stats in stats:
        if eager is not None and mode_stats.median_us > 0:
            mode_stats.speedup = eager.median_us / mode_stats.median_us


def _attach_kernels(stats: ModeStats, runner, args, kwargs, calls: int = 10) -> None:
    """Per-kernel FLOPs and bytes from the compiler's `explain`, times from a timed build."""
    from fuseflow.compiler.explain import explain, explain_timed

    try:
        explained = explain_timed(runner, *args, calls=calls, **kwargs)
    except Exception as error:  # noqa: BLE001  (timing is extra: keep the counts without it)
        explained = explain(runner, *args, **kwargs)
        stats.notes.append(f"kernel times unavailable: {error}")
    for record in explained.kernels:
        stats.kernels.append(KernelStats(record.name, tuple(record.ops), record.flops,
                                         record.bytes, record.time_us))
    stats.fallbacks += [str(f) for f in explained.fallbacks]


# -- this machine's peak ------------------------------------------------------------------------
_PEAK: dict[str, float] = {}


def machine_peak() -> dict[str, float]:
    """NumPy's best matmul GFLOP/s and copy GB/s here (a yardstick for kernels; measured once)."""
    if not _PEAK:
        a = np.ones((384, 384), np.float32)
        src, dst = np.ones(1 << 22, np.float32), np.empty(1 << 22, np.float32)
        _PEAK["gflops"] = 2 * 384**3 / _best(lambda: a @ a) / 1e9
        _PEAK["gbps"] = 2 * src.nbytes / _best(lambda: np.copyto(dst, src)) / 1e9
    return dict(_PEAK)


def _best(call: Callable[[], object], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return max(best, 1e-9)


# -- tables and plot ----------------------------------------------------------------------------
def _fmt(value, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _phase_text(phases: dict[str, float]) -> str:
    return ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in phases.items())


def _timing_rows(report: Report) -> list[list[str]]:
    rows = [["mode", "first call", "split", "median µs", "p10 µs", "p90 µs", "vs eager",
             "max diff"]]
    for s in report.modes:
        rows.append([s.mode, f"{s.first_call_s * 1e3:.1f} ms", _phase_text(s.phases),
                     f"{s.median_us:,.1f}", f"{s.p10_us:,.1f}", f"{s.p90_us:,.1f}",
                     "-" if s.speedup is None else f"{s.speedup:.2f}x", f"{s.max_diff:.1e}"])
    return rows


def _kernel_rows(report: Report) -> list[list[str]]:
    rows = [["kernel", "ops", "FLOPs", "bytes", "µs", "GFLOP/s", "GB/s"]]
    for s in report.modes:
        for k in s.kernels:
            rows.append([k.name, " ".join(k.ops), _fmt(k.flops, ","), _fmt(k.bytes, ","),
                         _fmt(k.time_us), _fmt(k.gflops), _fmt(k.gbps)])
        if s.kernels:  # achieved rates over the whole call, when kernels are not timed alone
            total = KernelStats("(whole call)", (), sum(k.flops or 0 for k in s.kernels),
                                sum(k.bytes or 0 for k in s.kernels), s.median_us)
            rows.append([total.name, "", _fmt(total.flops, ","), _fmt(total.bytes, ","),
                         _fmt(total.time_us), _fmt(total.gflops), _fmt(total.gbps)])
    return rows


def _render(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "|".join("---" for _ in rows[0]) + "|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _tables(report: Report, markdown: bool) -> str:
    parts = [f"compare {report.name}", _render(_timing_rows(report), markdown)]
    kernels = _kernel_rows(report)
    if len(kernels) > 1:
        peak = report.peak
        parts += [f"fused kernels (this machine: ~{peak.get('gflops', 0):.0f} GFLOP/s NumPy "
                  f"matmul, ~{peak.get('gbps', 0):.0f} GB/s copy)", _render(kernels, markdown)]
    fallbacks = [f for s in report.modes for f in s.fallbacks]
    if fallbacks:
        parts.append("NumPy fallbacks: " + "; ".join(fallbacks))
    parts += [note for s in report.modes for note in s.notes]
    return "\n\n".join(parts)


def _plot(report: Report, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("Report.plot needs matplotlib: pip install 'fuseflow[plot]'") from None
    figure, axis = plt.subplots(figsize=(5, 3))
    names = [s.mode for s in report.modes]
    axis.bar(names, [s.median_us for s in report.modes],
             yerr=[[s.median_us - s.p10_us for s in report.modes],
                   [s.p90_us - s.median_us for s in report.modes]])
    axis.set_ylabel("µs per call (median, p10-p90)")
    axis.set_title(report.name)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
