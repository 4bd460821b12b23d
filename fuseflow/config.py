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


class optimizer:  # noqa: N801  (TF's namespace name)
    """`tf.config.optimizer`: turn compiler passes on and off by TF's option names."""

    @staticmethod
    def set_experimental_options(options: dict) -> None:
        """E.g. `{'constant_folding': False}`; unknown names raise ValueError."""
        from fuseflow.compiler.options import set_experimental_options as _set

        _set(options)

    @staticmethod
    def get_experimental_options() -> dict:
        """The options set so far."""
        from fuseflow.compiler.options import get_experimental_options as _get

        return _get()


def debug_compare(enabled: bool = True, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Run every compiled call also in graph mode; raise at the first node whose values differ."""
    from fuseflow.runtime.debug_compare import debug_compare as _set

    _set(enabled, rtol=rtol, atol=atol)


class threading:  # noqa: N801  (TF's namespace name)
    """`tf.config.threading`: how many threads native kernels use (0: fuseflow chooses)."""

    @staticmethod
    def set_intra_op_parallelism_threads(num_threads: int) -> None:
        """Threads one large kernel is split across."""
        from fuseflow.runtime import threads

        threads.set_intra_op_parallelism_threads(num_threads)

    @staticmethod
    def get_intra_op_parallelism_threads() -> int:
        """The intra-op setting (0 when fuseflow chooses)."""
        from fuseflow.runtime import threads

        return threads.get_intra_op_parallelism_threads()

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads: int) -> None:
        """Accepted for compatibility: a compiled plan runs its kernels in order."""
        from fuseflow.runtime import threads

        threads.set_inter_op_parallelism_threads(num_threads)

    @staticmethod
    def get_inter_op_parallelism_threads() -> int:
        """The inter-op setting."""
        from fuseflow.runtime import threads

        return threads.get_inter_op_parallelism_threads()
