"""experimental_get_compiler_ir: every stage gives non-empty text of the right kind."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.passes import eliminate_dead_code


@ff.function
def dense_relu(x, w, b):
    return ff.nn.relu(ff.matmul(x, w) + b) * 1.0


ARGS = (np.ones((4, 3), np.float32), np.ones((3, 5), np.float32), np.zeros(5, np.float32))


@pytest.fixture(scope="module")
def ir():
    return dense_relu.experimental_get_compiler_ir(*ARGS)


def test_traced_stage_prints_the_graph_with_source_lines(ir):
    text = ir(stage="traced")
    assert text.startswith("graph dense_relu(")
    assert "matmul" in text and "multiply" in text
    assert "test_inspect.py:" in text  # each node's user line


def test_optimized_stage_has_no_multiply_by_one_and_is_not_fused(ir):
    text = ir(stage="optimized")
    assert "multiply" not in text
    assert "fused" not in text


def test_fused_stage_shows_a_fused_node(ir):
    assert "fused" in ir(stage="fused")


def test_llvm_stages_hold_function_definitions(ir):
    assert "define" in ir(stage="llvm")
    assert "define" in ir(stage="optimized_llvm")


def test_asm_stage_holds_instructions(ir):
    text = ir(stage="asm")
    assert any(word in text for word in ("ret", "mov", "vfmadd", "add"))
    assert "define" not in text


def test_passes_stage_lists_each_pass_with_node_counts(ir):
    text = ir(stage="passes")
    for name in ("simplify_algebra", "fold_constants", "eliminate_common_subexpressions",
                 "fuse"):
        assert name in text
    assert "->" in text
    assert "-1 multiply" in text  # what simplify_algebra changed


def test_tf_stage_names_are_accepted(ir):
    assert ir(stage="hlo") == ir(stage="traced")


def test_unknown_stage_is_a_clear_error(ir):
    with pytest.raises(ValueError, match="unknown stage 'bogus'"):
        ir(stage="bogus")


def test_custom_passes_show_in_the_passes_stage():
    f = ff.function(lambda x: x * 1.0, passes=(eliminate_dead_code,))
    text = f.experimental_get_compiler_ir(np.ones(3, np.float32))(stage="passes")
    assert "eliminate_dead_code" in text and "simplify_algebra" not in text
    assert "multiply" in f.experimental_get_compiler_ir(np.ones(3, np.float32))(stage="fused")


def test_unknown_dims_need_concrete_arguments_for_native_stages():
    f = ff.function(lambda x: x + 1.0, input_signature=[ff.TensorSpec([None], ff.float32)])
    ir = f.experimental_get_compiler_ir(ff.TensorSpec([None], ff.float32))
    assert "add" in ir(stage="traced")
    with pytest.raises(ValueError, match="concrete argument shapes"):
        ir(stage="llvm")
