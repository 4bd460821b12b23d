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


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Run every `fuseflow.function` eagerly (its Python body each call), for debugging."""
    from fuseflow.graph.function import run_functions_eagerly as _set

    _set(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether `run_functions_eagerly(True)` is in effect."""
    from fuseflow.graph.function import functions_run_eagerly as _get

    return _get()


def explain_retracing(enabled: bool = True) -> None:
    """Print why each `fuseflow.function` retraces, as it happens (argument, old -> new, line)."""
    from fuseflow.graph.retracing import explain_retracing as _set

    _set(enabled)
