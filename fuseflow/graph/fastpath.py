"""The steady-state call: same plain tensors as last time -> cached executable, nothing else.

A small function is generated per (function, argument count): it checks each argument is a
plain eager Tensor with the dtype and shape of the previous call, that no trace or tape is
active on any thread, and calls the executable's current plan directly (the whole executable
when the plan's own checks fail). Anything else returns MISS and takes the general path.
"""

from __future__ import annotations

from fuseflow.core import context
from fuseflow.core.tensor import Tensor

MISS = object()

_TEMPLATE = """
def fast(args):
    if run_eagerly[0] or busy[0] or len(args) != {n}:
        return MISS
{checks}
    calls[0] += 1
    arrays = [{values}]
    out = run(arrays)
    if out is None:
        out = full(arrays)
{pack}
"""

# `is not` for dtypes: NumPy's builtin dtypes are singletons, and an equal but distinct dtype
# object only costs one trip through the general path.
_CHECK = """    a{i} = args[{i}]
    if type(a{i}) is not Tensor:
        return MISS
    v{i} = a{i}._value
    if v{i}.shape != s{i} or v{i}.dtype is not d{i}:
        return MISS
"""

_SINGLE_PACK = """    tensor = new(Tensor)
    tensor._value = out[0]
    return tensor"""


def _runner(executable):
    """The innermost call of `executable` that returns None (never raises) on a failed check.

    A compiled graph's current plan (`_run`) skips one Python layer; when its own checks fail
    (say, a non-contiguous array) the fast call retries through the whole executable, which
    normalises the arrays or raises the real error.
    """
    inner = getattr(executable, "fast_call", None)
    if inner is None:
        inner = getattr(executable, "_run", None)
    return inner if callable(inner) else executable


def make_fast_path(function, concrete, args: tuple, leaves: list):
    """The fast call for `args`' exact types, or None when they are not all plain tensors."""
    from fuseflow.graph.function import _RUN_EAGERLY

    if len(leaves) != len(args) or any(type(a) is not Tensor for a in args):
        return None
    if any(value is not arg for (_, value), arg in zip(leaves, args)):
        return None
    names = {"MISS": MISS, "Tensor": Tensor, "run_eagerly": _RUN_EAGERLY,
             "busy": context.busy, "calls": function._calls, "new": object.__new__}
    for i, arg in enumerate(args):
        names[f"s{i}"] = arg._value.shape
        names[f"d{i}"] = arg._value.dtype
    executable = concrete.executable()
    names["run"], names["full"] = _runner(executable), executable
    names["pack"] = concrete.pack
    pack = _SINGLE_PACK if concrete._single else "    return pack(out)"
    source = _TEMPLATE.format(n=len(args), values=", ".join(f"v{i}" for i in range(len(args))),
                              checks="".join(_CHECK.format(i=i) for i in range(len(args))),
                              pack=pack)
    exec(compile(source, f"<fuseflow fast call {concrete.name}>", "exec"), names)
    return names["fast"]
