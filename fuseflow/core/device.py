"""Devices: fuseflow runs on the CPU; device scopes are accepted so TF code runs unchanged."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

log = logging.getLogger("fuseflow")
_warned_gpu = False


@dataclass(frozen=True)
class PhysicalDevice:
    """A device as `tf.config.list_physical_devices` describes it."""

    name: str
    device_type: str


CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices fuseflow can run on: one CPU."""
    if device_type is None or device_type.upper() == "CPU":
        return [CPU]
    return []


@contextlib.contextmanager
def device(name: str):
    """Accept a `tf.device('/gpu:0')`-style scope; ops still run on the CPU."""
    global _warned_gpu
    if "gpu" in str(name).lower() and not _warned_gpu:
        log.warning("fuseflow has no GPU backend; %s runs on the CPU", name)
        _warned_gpu = True
    yield
