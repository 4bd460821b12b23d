"""Movement ops lowered as native strided copies agree exactly with eager, and do not fall back."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import explain
from fuseflow.compiler.lowering.movement import CopyKernel, Piece, simplify

SHAPES = [(3, 5), (1, 7, 2), (0, 3), (4, 0, 2), (2, 3, 5)]


def _data(shape, dtype=np.float32):
    return (np.arange(int(np.prod(shape))).reshape(shape) * 1.5 - 3).astype(dtype)


def _check(fn, *arrays, op):
    """Compiled == eager bit for bit, and `op` runs as a native copy, not a NumPy fallback."""
    tensors = [ff.constant(a) for a in arrays]
    want = fn(*tensors)
    compiled = ff.function(fn, jit_compile=True)
    got = compiled(*tensors)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    report = explain(compiled, *tensors)
    assert op not in [f.op for f in report.fallbacks]
    run = compiled.get_concrete_function(*tensors).executable()
    run(list(arrays))
    assert any(isinstance(s, CopyKernel) for s in run._last.plan.steps)


@pytest.mark.parametrize("shape", SHAPES)
def test_transpose_matches_eager(shape):
    _check(lambda x: ff.transpose(x), _data(shape), op="transpose")


def test_transpose_with_perm_keeps_inner_axis():
    _check(lambda x: ff.transpose(x, (1, 0, 2)) + 0, _data((3, 4, 5)), op="transpose")


@pytest.mark.parametrize("shape", SHAPES)
def test_reverse_matches_eager(shape):
    _check(lambda x: ff.reverse(x, [0, -1]), _data(shape), op="reverse")


@pytest.mark.parametrize("key", [
    (slice(None, None, -1),), (slice(1, None), slice(None, None, 2)),
    (slice(None, None, -2), 1), (None, 0, slice(3, 0, -1)), (Ellipsis, None),
    (slice(5, 1), slice(None)), (-1,)])
def test_strided_slice_matches_eager(key):
    _check(lambda x: x[key], _data((4, 5)), op="strided_slice")


def test_strided_slice_of_ints_and_bools():
    _check(lambda x: x[::-1, 1:3], _data((3, 4), np.int32), op="strided_slice")
    _check(lambda x: x[1:, ::-1], np.array([[True, False], [False, True]]), op="strided_slice")


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC"])
@pytest.mark.parametrize("paddings", [[[1, 2], [0, 1]], [[0, 0], [2, 2]], [[2, 1], [1, 2]]])
def test_pad_matches_eager(mode, paddings):
    fn = (lambda x: ff.pad(x, paddings, mode=mode, constant_values=7)) if mode == "CONSTANT" \
        else (lambda x: ff.pad(x, paddings, mode=mode))
    _check(fn, _data((3, 4)), op="pad")


def test_pad_of_an_empty_tensor_is_its_constant():
    _check(lambda x: ff.pad(x, [[1, 1], [2, 0]], constant_values=-2), _data((0, 3)), op="pad")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_matches_eager(axis):
    a, b, c = _data((2, 3)), _data((2, 3)) + 100, _data((2, 3)) - 50
    _check(lambda x, y, z: ff.concat([x, y, z], axis), a, b, c, op="concat")


def test_concat_with_an_empty_input():
    _check(lambda x, y: ff.concat([x, y], 1), _data((2, 0)), _data((2, 3)), op="concat")


def test_simplify_merges_contiguous_axes_and_drops_empty_copies():
    piece = Piece(0, (2, 1, 3, 4), 0, (12, 5, 4, 1), 0, (12, 12, 4, 1))
    assert simplify(piece).shape == (24,)
    reversed_piece = Piece(0, (2, 3), 5, (-3, -1), 0, (3, 1))
    assert simplify(reversed_piece).shape == (6,)
    assert simplify(Piece(0, (2, 0), 0, (1, 1), 0, (1, 1))) is None


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("dtype", [ff.float32, ff.int32, ff.bool])
def test_one_hot_matches_eager_with_out_of_range_indices(axis, dtype):
    from fuseflow.compiler.lowering.gather import OneHotKernel

    idx = np.array([[0, 3, -1], [5, 2, 1]], np.int32)  # -1 and 5 give all-off rows
    on = True if dtype == ff.bool else 4
    fn = (lambda i: ff.one_hot(i, 4, on_value=on, off_value=False if dtype == ff.bool else -1,
                               axis=axis, dtype=dtype))
    compiled = ff.function(fn, jit_compile=True)
    t = ff.constant(idx)
    np.testing.assert_array_equal(compiled(t).numpy(), fn(t).numpy())
    run = compiled.get_concrete_function(t).executable()
    run([idx])
    assert any(isinstance(s, OneHotKernel) for s in run._last.plan.steps)
