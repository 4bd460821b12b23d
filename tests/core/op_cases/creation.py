"""Cases for fuseflow.core.ops.creation (no tensor inputs: the attrs make the value)."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase


def nothing(rng) -> list:
    return []


CASES = [
    OpCase("fill", lambda: ff.zeros([2, 3]), nothing, lambda: np.zeros((2, 3)), label="zeros",
           grad=False),
    OpCase("fill", lambda: ff.ones((3,), dtype=ff.int64), nothing,
           lambda: np.ones(3, np.int64), label="ones_int64", grad=False),
    OpCase("fill", lambda: ff.fill([2, 2], 1.5), nothing, lambda: np.full((2, 2), 1.5),
           label="fill", grad=False),
    OpCase("eye", lambda: ff.eye(2, 3), nothing, lambda: np.eye(2, 3), grad=False),
    OpCase("eye", lambda: ff.eye(2, batch_shape=[3], dtype=ff.int32), nothing,
           lambda: np.broadcast_to(np.eye(2, dtype=np.int32), (3, 2, 2)), label="batch",
           grad=False),
    OpCase("range", lambda: ff.range(5), nothing, lambda: np.arange(5, dtype=np.int32),
           grad=False),
    OpCase("range", lambda: ff.range(10, 1, -3), nothing,
           lambda: np.array([10, 7, 4], np.int32), label="negative_delta", grad=False),
    OpCase("range", lambda: ff.range(0.0, 1.0, 0.3), nothing,
           lambda: np.array([0.0, 0.3, 0.6, 0.9]), label="float", grad=False),
    OpCase("linspace", lambda: ff.linspace(-1.0, 1.0, 5), nothing,
           lambda: np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), grad=False),
]
