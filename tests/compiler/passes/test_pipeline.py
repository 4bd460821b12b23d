"""The default pipeline and the optimizer options that toggle its passes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuseflow as ff
from fuseflow.compiler import options
from fuseflow.compiler.passes import (
    DEFAULT_PIPELINE,
    default_passes,
    fold_constants,
    fuse,
    run_pipeline,
)
from fuseflow.graph.verify import GraphError
from fuseflow.runtime.interpreter import interpret
from tests.helpers import count_ops


@pytest.fixture(autouse=True)
def fresh_options():
    options.reset_experimental_options()
    yield
    options.reset_experimental_options()


def trace(fn, *arrays):
    return ff.function(fn, jit_compile=False).get_concrete_function(
        *[ff.constant(a) for a in arrays]).graph


def test_default_pipeline_runs_every_pass_with_fuse_before_the_last_cleanup():
    names = [p.__name__ for p in DEFAULT_PIPELINE]
    assert {"simplify_algebra", "fold_constants", "eliminate_common_subexpressions"} <= set(names)
    assert names.index("fuse") == len(names) - 2


def test_constant_folding_option_removes_the_pass():
    options.set_experimental_options({"constant_folding": False})
    assert fold_constants not in default_passes()
    assert options.get_experimental_options() == {"constant_folding": False}
    graph = trace(lambda t: t + ff.exp(ff.constant(1.0)), np.ones(2, np.float32))
    counts = count_ops(run_pipeline(graph))
    assert counts["exp"] + counts["fused"] == 1  # exp(1) is computed at run time


def test_disable_meta_optimizer_turns_every_optional_pass_off():
    options.set_experimental_options({"disable_meta_optimizer": True})
    assert default_passes() == ()


def test_explicit_passes_ignore_the_options():
    options.set_experimental_options({"remapping": False})
    assert fuse not in default_passes()
    graph = trace(lambda t: ff.exp(t) * 2.0, np.ones(2, np.float32))
    assert count_ops(run_pipeline(graph, (fuse,)))["fused"] == 1


def test_unknown_option_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown option 'constant_foldin'"):
        options.set_experimental_options({"constant_foldin": False})


def test_verifier_catches_a_pass_that_breaks_the_graph():
    def drop_placeholder_list(graph):
        out = graph.copy()
        out.placeholders = []
        return out

    graph = trace(lambda t: t + 1.0, np.ones(2, np.float32))
    with pytest.raises(GraphError):
        run_pipeline(graph, (drop_placeholder_list,))


def test_compiled_function_honours_the_options_and_keeps_numbers():
    options.set_experimental_options({"constant_folding": False, "arithmetic_optimization": False})
    f = ff.function(lambda t: t * 1.0 + ff.exp(ff.constant(1.0)))
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_allclose(f(ff.constant(x)).numpy(), x + np.e, rtol=1e-6)
    passes = f.experimental_get_compiler_ir(x)(stage="passes")
    assert "fold_constants" not in passes and "simplify_algebra" not in passes


_STEPS = {
    "mul1": lambda t: t * 1.0, "add0": lambda t: t + 0.0, "sub0": lambda t: t - 0.0,
    "div1": lambda t: t / 1.0, "neg": ff.negative, "exp": ff.exp, "mul0": lambda t: t * 0.0,
    "sub_self": lambda t: t - t, "twice": lambda t: ff.exp(t) + ff.exp(t),
    "transpose": lambda t: ff.transpose(t, [1, 0]), "reshape": lambda t: ff.reshape(t, [-1]),
    "const": lambda t: t + ff.exp(ff.constant(0.5)) * 2.0, "identity": ff.identity,
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=6))
def test_optimizing_passes_keep_every_value_including_nan_and_inf(names):
    def fn(t):
        for name in names:
            t = _STEPS[name](t)
            if t.ndim == 1:
                t = ff.reshape(t, [2, 3])
        return t

    x = np.array([[1.5, -0.0, np.nan], [np.inf, -np.inf, 0.25]], np.float32)
    graph = trace(fn, x)
    optimized = run_pipeline(graph, DEFAULT_PIPELINE[:-2])  # everything before fusion
    got, want = interpret(optimized, [x])[0], interpret(graph, [x])[0]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
