"""`fuseflow.config`: devices, threading, eager/graph switches and compiler options."""

from __future__ import annotations

from fuseflow.core.device import PhysicalDevice, list_physical_devices


def list_logical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    return list_physical_devices(device_type)


def get_visible_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type: str | None = None) -> None:
    """Accepted for compatibility; fuseflow always runs on the CPU."""


class experimental:  # noqa: N801  (TF's namespace name)
    """`tf.config.experimental`: memory growth switches are accepted and ignored."""

    @staticmethod
    def set_memory_growth(device, enable: bool) -> None:
        pass

    @staticmethod
    def list_physical_devices(device_type: str | None = None):
        return list_physical_devices(device_type)
