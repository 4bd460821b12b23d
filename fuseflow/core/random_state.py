"""Seeds of random ops, with TF's global-seed/op-seed rules, and their generators.

A random op carries `seed=(global_seed, op_seed)` as an attribute, fixed when it is called
(eagerly) or traced. Its `impl` draws from the generator this module keeps for that pair, so a
graph node that runs many times draws fresh numbers each time, and the same program with the same
seeds draws the same numbers:

- no global seed, no op seed: `(None, None)`, one process-wide nondeterministic generator;
- global seed only: eager calls share one stream started by the global seed; each traced op gets
  its own op seed from a counter, so two random nodes of one graph differ;
- op seed only: the global seed defaults to a constant (TF's `DEFAULT_GRAPH_SEED`);
- `set_seed` forgets every generator and restarts the counter, so sequences start over.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import context
from fuseflow.core.api import export

DEFAULT_GLOBAL_SEED = 87654321
_EAGER_STREAM = -1  # op seed of the stream shared by unseeded eager calls under a global seed

_global_seed: int | None = None
_op_counter = 0
_generators: dict[tuple, np.random.Generator] = {}


@export("random.set_seed")
def set_seed(seed: int | None) -> None:
    """Set the global random seed: the same program then draws the same numbers."""
    global _global_seed, _op_counter
    _global_seed = None if seed is None else int(seed)
    _op_counter = 0
    _generators.clear()


def get_global_seed() -> int | None:
    """The global seed set by `set_seed` (None when unset)."""
    return _global_seed


def op_seeds(seed: int | None = None) -> tuple[int | None, int | None]:
    """The `(global, op)` seed pair a random op called now should carry as its `seed` attr."""
    global _op_counter
    if seed is not None:
        return (DEFAULT_GLOBAL_SEED if _global_seed is None else _global_seed, int(seed))
    if _global_seed is None:
        return (None, None)
    if context.executing_eagerly():
        return (_global_seed, _EAGER_STREAM)
    _op_counter += 1
    return (_global_seed, _op_counter)


def generator(op: str, seed: tuple[int | None, int | None]) -> np.random.Generator:
    """The generator of op `op` with seed pair `seed` (created on first use)."""
    key = (op, seed) if seed[1] != _EAGER_STREAM else seed
    rng = _generators.get(key)
    if rng is None:
        if seed[0] is None:
            rng = np.random.default_rng()
        else:
            rng = np.random.default_rng([seed[0] & 0xFFFFFFFF, seed[1] & 0xFFFFFFFF])
        _generators[key] = rng
    return rng
