"""Op test cases as data, one module per op family; OP_CASES gathers them all."""

from __future__ import annotations

from tests.core.op_cases import creation, elementwise, linalg, movement, nn, random, reduction
from tests.core.op_cases.case import OpCase  # noqa: F401

OP_CASES = [*elementwise.CASES, *reduction.CASES, *movement.CASES, *linalg.CASES, *nn.CASES,
            *creation.CASES, *random.CASES]
