"""Every op, as data: forward vs a float64 reference, VJP vs finite differences, inference vs
the real output, and every registered op covered."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.registry import REGISTRY
from tests.core.op_cases import OP_CASES
from tests.helpers import as_tensors, check_vjp, record_ops

# Ops exercised elsewhere: they need state, a graph or a compiled kernel, not plain tensors in
# and out (tests/graph/test_control_flow.py, test_side_effects.py, tests/compiler/).
COVERED_ELSEWHERE = {
    "read_variable", "assign", "assign_add", "assign_sub",
    "placeholder", "constant", "cond", "while_loop", "print", "py_function", "fused",
}


def _flat_numpy(result) -> list[np.ndarray]:
    return [np.asarray(r) for r in ff.nest.flatten(result)]


@pytest.mark.parametrize("case", OP_CASES, ids=str)
def test_forward_matches_float64_reference(case):
    arrays = case.sample_inputs(seed=0)
    got = _flat_numpy(case.fn(*as_tensors(arrays)))
    wide = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in arrays]
    want = [np.asarray(w) for w in ff.nest.flatten(case.reference(*wide))]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape, f"{case}: shape {g.shape} != {w.shape}"
        np.testing.assert_allclose(g, w, rtol=case.rtol, atol=case.atol, err_msg=str(case))


@pytest.mark.parametrize("case", [c for c in OP_CASES if c.grad], ids=str)
def test_gradient_matches_finite_differences(case):
    check_vjp(case.fn, case.sample_inputs(seed=0), rtol=case.grad_rtol)


@pytest.mark.parametrize("case", OP_CASES, ids=str)
def test_inferred_spec_matches_output(case):
    for opdef, inputs, attrs, out in record_ops(case.fn, *as_tensors(case.sample_inputs(seed=2))):
        specs = opdef.infer(*(t.spec for t in inputs), **attrs)
        outs = out if isinstance(out, tuple) else (out,)
        specs = specs if isinstance(specs, tuple) else (specs,)
        assert len(specs) == len(outs), opdef.name
        for spec, o in zip(specs, outs):  # None: a dim only the data decides (boolean_mask)
            assert len(spec.shape) == o.ndim, opdef.name
            assert all(a is None or a == b for a, b in zip(spec.shape, o.shape)), opdef.name
        assert [s.dtype for s in specs] == [o.dtype for o in outs], opdef.name


def test_every_registered_op_has_a_case():
    missing = set(REGISTRY) - {case.op for case in OP_CASES} - COVERED_ELSEWHERE
    assert not missing, f"ops without a test case: {sorted(missing)}"
