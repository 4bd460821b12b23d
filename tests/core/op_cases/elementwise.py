"""Cases for fuseflow.core.ops.elementwise."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, positive, sample

CASES = [
    OpCase("identity", ff.identity, sample(floats(3, 4)), lambda x: x),
    OpCase("stop_gradient", ff.stop_gradient, sample(floats(3)), lambda x: x, grad=False),
    OpCase("cast", lambda x: ff.cast(x, ff.float64), sample(floats(3)), lambda x: x),
    OpCase("negative", ff.negative, sample(floats(2, 3)), np.negative),
    OpCase("exp", ff.exp, sample(floats(5)), np.exp),
    OpCase("log", ff.math.log, sample(positive(5)), np.log),
    OpCase("tanh", ff.tanh, sample(floats(4, 3)), np.tanh),
    OpCase("relu", ff.nn.relu, sample(floats(7)), lambda x: np.maximum(x, 0)),
    OpCase("add", ff.add, sample(floats(3, 1), floats(4)), np.add, label="broadcast"),
    OpCase("subtract", ff.subtract, sample(floats(2, 3), floats(3)), np.subtract),
    OpCase("multiply", ff.multiply, sample(floats(2, 3), floats(2, 1)), np.multiply),
    OpCase("divide", ff.divide, sample(floats(4), positive(4)), np.divide),
    OpCase("greater", ff.greater, sample(floats(4), floats(4)), np.greater, grad=False),
    OpCase("zeros_like", ff.zeros_like, sample(floats(2, 2)), np.zeros_like, grad=False),
    OpCase("ones_like", ff.ones_like, sample(floats(2, 2)), np.ones_like, grad=False),
]
