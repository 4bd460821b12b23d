"""Every op case run as a traced graph (interpreted) agrees with eager execution."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.registry import REGISTRY
from tests.core.op_cases import OP_CASES
from tests.helpers import as_tensors, run_in_mode

# Random ops draw new numbers on every call: tests/graph/test_side_effects.py checks them.
DETERMINISTIC = [c for c in OP_CASES if c.op not in REGISTRY or REGISTRY[c.op].pure]


def _assert_agree(got: list, want: list, case) -> None:
    assert len(got) == len(want), case
    for g, w in zip(got, want):
        assert (g.shape, g.dtype) == (w.shape, w.dtype), f"{case}: {g.dtype}{g.shape} vs {w.dtype}"
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=str(case))
        else:
            np.testing.assert_array_equal(g, w, err_msg=str(case))


@pytest.mark.parametrize("case", DETERMINISTIC, ids=str)
def test_graph_mode_agrees_with_eager(case):
    arrays = case.sample_inputs(seed=1)
    want = run_in_mode(case.fn, arrays, "eager")
    _assert_agree(run_in_mode(case.fn, arrays, "graph"), want, case)


@pytest.mark.parametrize("case", [c for c in DETERMINISTIC if c.grad], ids=str)
def test_traced_gradient_agrees_with_eager(case):
    arrays = case.sample_inputs(seed=3)
    float_idx = [i for i, a in enumerate(arrays)
                 if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

    def grads(*tensors):
        with ff.GradientTape() as tape:
            for i in float_idx:
                tape.watch(tensors[i])
            outs = [o for o in ff.nest.flatten(case.fn(*tensors)) if o.dtype.is_floating]
            total = ff.add_n([ff.reduce_sum(o * o) for o in outs]) if len(outs) > 1 \
                else ff.reduce_sum(outs[0] * outs[0])
        found = tape.gradient(total, [tensors[i] for i in float_idx])
        return [g if g is not None else ff.zeros_like(tensors[i]) for g, i in zip(found, float_idx)]

    want = [np.asarray(g) for g in grads(*as_tensors(arrays))]
    got = [np.asarray(g) for g in ff.function(grads, jit_compile=False)(*as_tensors(arrays))]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=str(case))
