"""Every op case compiled agrees with eager execution (float32 1e-5 relative, others exact)."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.core.registry import REGISTRY
from tests.core.op_cases import OP_CASES
from tests.helpers import run_in_mode

DETERMINISTIC = [c for c in OP_CASES if c.op not in REGISTRY or REGISTRY[c.op].pure]


@pytest.mark.parametrize("case", DETERMINISTIC, ids=str)
def test_compiled_agrees_with_eager(case):
    arrays = case.sample_inputs(seed=1)
    want = run_in_mode(case.fn, arrays, "eager")
    got = run_in_mode(case.fn, arrays, "compiled")
    assert len(got) == len(want), case
    for g, w in zip(got, want):
        assert (g.shape, g.dtype) == (w.shape, w.dtype), f"{case}: {g.dtype}{g.shape} vs {w.dtype}"
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=str(case))
        else:
            np.testing.assert_array_equal(g, w, err_msg=str(case))
