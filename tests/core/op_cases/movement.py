"""Cases for fuseflow.core.ops.movement."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, sample

CASES = [
    OpCase("reshape", lambda x: ff.reshape(x, [-1, 2]), sample(floats(3, 4)),
           lambda x: x.reshape(-1, 2)),
    OpCase("broadcast_to", lambda x: ff.broadcast_to(x, [2, 3]), sample(floats(3)),
           lambda x: np.broadcast_to(x, (2, 3))),
    OpCase("broadcast_like", lambda x, y: ff.core.ops.movement.broadcast_like(x, y),
           sample(floats(1, 3), floats(2, 3)), lambda x, y: np.broadcast_to(x, y.shape)),
    OpCase("shape", ff.shape, sample(floats(2, 5)), lambda x: np.array(x.shape), grad=False),
    OpCase("stack", lambda x, y: ff.stack([x, y], axis=1), sample(floats(2, 3), floats(2, 3)),
           lambda x, y: np.stack([x, y], axis=1)),
    OpCase("unstack", lambda x: ff.unstack(x, axis=1), sample(floats(2, 3)),
           lambda x: [x[:, i] for i in range(3)]),
]
