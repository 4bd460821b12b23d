"""Cases for fuseflow.core.ops.reduction."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, sample

CASES = [
    OpCase("reduce_sum", lambda x: ff.reduce_sum(x, axis=1), sample(floats(3, 4)),
           lambda x: np.sum(x, axis=1), label="axis1"),
    OpCase("reduce_sum", lambda x: ff.reduce_sum(x), sample(floats(3, 4)), np.sum, label="all"),
]
