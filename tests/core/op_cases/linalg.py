"""Cases for fuseflow.core.ops.linalg."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, sample

CASES = [
    OpCase("matmul", ff.matmul, sample(floats(3, 4), floats(4, 5)), np.matmul),
    OpCase("matmul", lambda a, b: ff.matmul(a, b, transpose_a=True, transpose_b=True),
           sample(floats(4, 3), floats(5, 4)), lambda a, b: a.T @ b.T, label="tt"),
    OpCase("matmul", ff.matmul, sample(floats(2, 3, 4), floats(4, 2)), np.matmul, label="batch"),
]
