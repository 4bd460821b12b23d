"""The steady-state call: same plain tensors as last time -> cached executable, nothing else.

A small function is generated per (function, argument count): it checks each argument is a
plain eager Tensor with the dtype and shape of the previous call, that no trace or tape is
active, and calls the executable. Anything else returns MISS and takes the general path.
"""

from __future__ import annotations

from fuseflow.core import context
from fuseflow.core.tensor import Tensor

MISS = object()

_TEMPLATE = """
def fast(args):
    if run_eagerly[0] or state.tapes or len(state.stack) != 1 or len(args) != {n}:
        return MISS
{checks}
    calls[0] += 1
    return pack(run([{values}]))
"""

_CHECK = """    a{i} = args[{i}]
    if type(a{i}) is not Tensor:
        return MISS
    v{i} = a{i}._value
    if v{i}.shape != s{i} or v{i}.dtype != d{i}:
        return MISS
"""

_SINGLE_PACK = """
def pack(outputs):
    tensor = new(Tensor)
    tensor._value = outputs[0]
    return tensor
"""


def make_fast_path(function, concrete, args: tuple, leaves: list):
    """The fast call for `args`' exact types, or None when they are not all plain tensors."""
    from fuseflow.graph.function import _RUN_EAGERLY

    if len(leaves) != len(args) or any(type(a) is not Tensor for a in args):
        return None
    if any(value is not arg for (_, value), arg in zip(leaves, args)):
        return None
    names = {"MISS": MISS, "Tensor": Tensor, "run_eagerly": _RUN_EAGERLY,
             "state": context.state, "calls": function._calls,
             "new": object.__new__}
    for i, arg in enumerate(args):
        names[f"s{i}"] = arg._value.shape
        names[f"d{i}"] = arg._value.dtype
    executable = concrete.executable()
    # An executable may offer `fast_call`: the same contract with fewer Python layers.
    names["run"] = getattr(executable, "fast_call", executable)
    if concrete._single:
        exec(_SINGLE_PACK, names)
    else:
        names["pack"] = concrete.pack
    source = _TEMPLATE.format(n=len(args), values=", ".join(f"v{i}" for i in range(len(args))),
                              checks="".join(_CHECK.format(i=i) for i in range(len(args))))
    exec(compile(source, f"<fuseflow fast call {concrete.name}>", "exec"), names)
    return names["fast"]
