"""Test helpers, one per concern: finite-difference VJP checks, running a function in a mode,
recording which ops a call binds, counting ops in a graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable

import numpy as np

import fuseflow as ff
from fuseflow.core import context
from fuseflow.core.context import EagerContext


def as_tensors(arrays) -> list:
    return [ff.constant(a) if isinstance(a, np.ndarray) else a for a in arrays]


def _outputs(result) -> list[np.ndarray]:
    return [np.asarray(r) for r in ff.nest.flatten(result)]


def check_vjp(fn: Callable, arrays: list, rtol: float = 1e-3, atol: float = 1e-5,
              eps: float = 1e-4, seed: int = 0) -> None:
    """Compare the tape's VJP with float64 central differences in one random direction.

    For a random cotangent u and direction v: <u, J v> by finite differences must equal
    <vjp(u), v>, as JAX's check_vjp does. Only floating inputs are differentiated.
    """
    rng = np.random.default_rng(seed)
    arrays = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
              for a in arrays]
    diff = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    tensors = as_tensors(arrays)
    with ff.GradientTape() as tape:
        for i in diff:
            tape.watch(tensors[i])
        outs = [o for o in ff.nest.flatten(fn(*tensors)) if o.dtype.is_floating]
    cotangents = [rng.standard_normal(tuple(o.shape)) for o in outs]
    grads = tape.gradient(outs, [tensors[i] for i in diff],
                          output_gradients=[ff.constant(u) for u in cotangents])
    direction = {i: rng.standard_normal(arrays[i].shape) for i in diff}
    analytic = sum(float(np.sum(np.asarray(g) * direction[i]))
                   for i, g in zip(diff, grads) if g is not None)

    def f(sign: float) -> float:
        shifted = list(arrays)
        for i in diff:
            shifted[i] = arrays[i] + sign * eps * direction[i]
        result = [o for o in _outputs(fn(*as_tensors(shifted))) if o.dtype.kind == "f"]
        return sum(float(np.sum(u * r)) for u, r in zip(cotangents, result))

    numeric = (f(1.0) - f(-1.0)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol,
                               err_msg="VJP differs from finite differences")


class RecordingContext(EagerContext):
    """Eager execution that also records every (opdef, inputs, attrs, outputs) it runs."""

    def __init__(self):
        self.calls: list = []

    def execute(self, opdef, inputs, attrs, name):
        out = super().execute(opdef, inputs, attrs, name)
        self.calls.append((opdef, inputs, attrs, out))
        return out


def record_ops(fn: Callable, *args) -> list:
    """Run `fn(*args)` eagerly and return the op calls it made."""
    recorder = RecordingContext()
    with context.pushed(recorder):
        fn(*args)
    return recorder.calls


def run_in_mode(fn: Callable, arrays: list, mode: str):
    """Run `fn` eagerly, as an interpreted graph, or compiled; return NumPy outputs."""
    tensors = as_tensors(arrays)
    if mode == "eager":
        return _outputs(fn(*tensors))
    wrapped = ff.function(fn, jit_compile=(mode == "compiled"))
    return _outputs(wrapped(*tensors))


def count_ops(graph) -> Counter:
    """How many nodes of each op a graph holds."""
    return Counter(graph.op(node) for node in graph.nodes())


def run_in_new_process(program: str, cache_dir) -> dict:
    """Run Python source `program` in a fresh interpreter with kernel cache `cache_dir`; return
    the JSON object its last line of output prints."""
    env = dict(os.environ, FUSEFLOW_CACHE_DIR=str(cache_dir))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
