"""`fuseflow.test`: the parts of `tf.test` that describe the machine."""

from __future__ import annotations


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability=None) -> bool:
    """Always False: fuseflow runs on the CPU."""
    return False


def is_built_with_cuda() -> bool:
    return False


def gpu_device_name() -> str:
    return ""
