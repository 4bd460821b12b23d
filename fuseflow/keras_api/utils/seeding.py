"""One call to seed every random generator Keras code uses."""

from __future__ import annotations

import random

import numpy as np


def set_random_seed(seed: int) -> None:
    """Seed Python's `random`, NumPy and fuseflow's global seed, so runs repeat exactly."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"set_random_seed: `seed` must be an int, received {seed!r}")
    from fuseflow.core.api import members

    random.seed(seed)
    np.random.seed(seed)
    members("random")["set_seed"](seed)
