"""The fused-kernel table the CLI prints, from the compiler's `explain`."""

from __future__ import annotations


def describe_kernels(function, *args, max_kernels: int = 12) -> str:
    """The costliest fused kernels of `function` for `args`, its fallbacks and compile times."""
    from fuseflow.compiler.explain import explain

    return explain(function, *args).text(max_kernels=max_kernels, boundaries=False)
