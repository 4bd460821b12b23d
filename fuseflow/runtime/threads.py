"""Thread counts of compiled kernels: what `fuseflow.config.threading` reads and sets."""

from __future__ import annotations

import os

_settings = {"intra": 0, "inter": 0}  # 0: let fuseflow choose, as TF's default


def set_kernel_threads(count: int) -> None:
    """Run large compiled kernels on `count` threads (the calling thread included)."""
    from fuseflow.compiler.codegen import get_codegen
    from fuseflow.compiler.threadpool import get_pool

    get_pool(get_codegen()).set_threads(max(1, int(count)))


def kernel_threads() -> int:
    """How many threads large compiled kernels use."""
    from fuseflow.compiler.codegen import get_codegen
    from fuseflow.compiler.threadpool import get_pool

    return get_pool(get_codegen()).threads


def _count(num_threads, what: str) -> int:
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 0:
        raise ValueError(f"{what} must be a non-negative int (0 lets fuseflow choose), got "
                         f"{num_threads!r}")
    return num_threads


def default_threads() -> int:
    """The thread count used when none is set: every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def set_intra_op_parallelism_threads(num_threads: int) -> None:
    """Threads one compiled kernel may use; 0 picks the number of usable cores."""
    from fuseflow.compiler.threadpool import MAX_THREADS

    _settings["intra"] = _count(num_threads, "intra_op_parallelism_threads")
    set_kernel_threads(min(MAX_THREADS, num_threads or default_threads()))


def get_intra_op_parallelism_threads() -> int:
    """The value last set (0 when fuseflow chooses), as TF reports it."""
    return _settings["intra"]


def set_inter_op_parallelism_threads(num_threads: int) -> None:
    """Accepted for compatibility: a compiled plan runs its kernels one after another."""
    _settings["inter"] = _count(num_threads, "inter_op_parallelism_threads")


def get_inter_op_parallelism_threads() -> int:
    """The value last set (0 when fuseflow chooses)."""
    return _settings["inter"]
