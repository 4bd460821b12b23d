"""The text of an Explanation: tables a person reads in a terminal."""

from __future__ import annotations

MAX_ROWS = 40  # long boundary lists are cut: the first ones say the most about the graph


def explanation_text(report, max_kernels: int | None = None, boundaries: bool = True) -> str:
    """Kernels, boundaries, fallbacks and timings as aligned text; with `max_kernels`, only the
    kernels with the most FLOPs (in plan order) and a count of the rest."""
    from fuseflow.compiler.explain import short_source

    lines = [f"compiled {report.function}: {len(report.kernels)} kernels, "
             f"{len(report.fallbacks)} NumPy fallbacks (machine code: {report.cache})", ""]
    kernels = report.kernels
    if max_kernels is not None and len(kernels) > max_kernels:
        top = sorted(kernels, key=lambda k: k.flops, reverse=True)[:max_kernels]
        kernels = [k for k in kernels if any(k is t for t in top)]
    width = max([len(k.name) for k in kernels] + [6])
    timed = any(k.time_us is not None for k in kernels)
    head = f"{'µs':>9}  " if timed else ""
    lines.append(f"{'kernel':<{width}}  {'est. FLOPs':>12}  {'bytes':>12}  {head}source lines")
    for k in kernels:
        where = ", ".join(short_source(s) for s in k.sources) or "?"
        us = (f"{k.time_us:>9.1f}  " if k.time_us is not None else f"{'-':>9}  ") if timed else ""
        lines.append(f"{k.name:<{width}}  {k.flops:>12,}  {k.bytes:>12,}  {us}{where}")
    if len(kernels) < len(report.kernels):
        lines.append(f"... {len(report.kernels) - len(kernels)} smaller kernels")
    if boundaries and report.boundaries:
        lines += ["", "fusion boundaries (why a value leaves a kernel):"]
        for b in report.boundaries[:MAX_ROWS]:
            lines.append(f"  {b.producer} -> {b.consumer}: {b.reason}")
        if len(report.boundaries) > MAX_ROWS:
            lines.append(f"  ... {len(report.boundaries) - MAX_ROWS} more")
    lines += ["", "NumPy fallbacks:" if report.fallbacks else "NumPy fallbacks: none"]
    for f in report.fallbacks:
        lines.append(f"  {f.name} ({f.op}) at {short_source(f.source)}: {f.reason}")
    times = ", ".join(f"{name} {seconds * 1e3:.1f} ms" for name, seconds in
                      report.timings.items())
    lines += ["", f"times: {times}"]
    return "\n".join(lines)
