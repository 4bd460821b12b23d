"""Thread count of compiled kernels (what `fuseflow.config.threading` should call)."""

from __future__ import annotations


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
