"""W4-W6: single-kernel workloads (fused elementwise chain, sgemm, call overhead)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

W4_SIZE, W5_SIZE, W6_SIZE = 4_000_000, 1024, 10


def chain(tf, x):
    """`tanh(0.5x+1) * sigmoid(x) - 0.1x^2` written with fuseflow ops."""
    return tf.tanh(0.5 * x + 1.0) * tf.nn.sigmoid(x) - 0.1 * x * x


def _compiled_executable(fn, arrays: list[np.ndarray]) -> Callable[[list], list]:
    """The native executable behind `fn` for these arrays (compiled, warmed up)."""
    import fuseflow as tf

    run = fn.get_concrete_function(*[tf.constant(a) for a in arrays]).executable()
    run(list(arrays))
    return run


def w4(mode: str, size: int = W4_SIZE) -> Callable[[], object]:
    """W4 in `mode`: numpy (NumPy's chain), pass (np.add(a, 1, out=b): the bound),
    eager, graph, compiled (the whole call) or executable (the native plan alone)."""
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    if mode == "pass":
        out = np.empty_like(x)
        return lambda: np.add(x, 1, out=out)
    if mode == "numpy":
        return lambda: np.tanh(0.5 * x + 1) * (1 / (1 + np.exp(-x))) - 0.1 * x * x
    return _fuseflow(lambda tf, t: chain(tf, t), [x], mode)


def w5(mode: str, n: int = W5_SIZE) -> Callable[[], object]:
    """W5 in `mode`: numpy (its BLAS), eager, graph, compiled or executable."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    if mode == "numpy":
        return lambda: a @ b
    return _fuseflow(lambda tf, x, y: tf.matmul(x, y), [a, b], mode)


def w6(mode: str, size: int = W6_SIZE) -> Callable[[], object]:
    """W6 in `mode`: numpy (`x + 1`), eager, graph, compiled or executable."""
    x = np.arange(size, dtype=np.float32)
    if mode == "numpy":
        return lambda: x + 1
    return _fuseflow(lambda tf, t: t + 1.0, [x], mode)


def _fuseflow(body, arrays: list[np.ndarray], mode: str) -> Callable[[], object]:
    import fuseflow as tf

    fn = lambda *xs: body(tf, *xs)  # noqa: E731
    tensors = [tf.constant(a) for a in arrays]
    if mode == "eager":
        return lambda: fn(*tensors)
    if mode not in ("graph", "compiled", "executable"):
        raise ValueError(f"unknown mode {mode!r}")
    traced = tf.function(fn, jit_compile=mode != "graph")
    if mode == "executable":
        run = _compiled_executable(traced, arrays)
        return lambda: run(arrays)
    return lambda: traced(*tensors)
