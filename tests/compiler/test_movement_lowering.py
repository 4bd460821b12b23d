"""Movement ops lowered as native strided copies agree exactly with eager, and do not fall back."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler import explain
from fuseflow.compiler.lowering.movement import (
    FILL,
    PARALLEL_MIN_ELEMENTS,
    CopyKernel,
    Piece,
    contiguous_strides,
    simplify,
    tile,
)

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


def _run_pieces(pieces, sources, size, fill=None):
    """The pieces executed element by element in Python (a reference for the emitted loops)."""
    out = np.full(size, -1.0)
    written = np.zeros(size, dtype=int)
    for piece in pieces:
        for index in np.ndindex(*piece.shape):
            at = piece.dst_offset + sum(i * s for i, s in zip(index, piece.dst_strides))
            src = piece.src_offset + sum(i * s for i, s in zip(index, piece.src_strides))
            out[at] = fill if piece.source == FILL else sources[piece.source][src]
            written[at] += 1
    return out, written


@pytest.mark.parametrize("shape,block", [((40, 37), 8), ((37, 40), 16), ((16, 16), 8),
                                         ((9, 50), 4)])
def test_tiled_transpose_copies_every_element_once(shape, block):
    x = np.arange(int(np.prod(shape)), dtype=float)
    out_shape = shape[::-1]
    piece = Piece(0, out_shape, 0, contiguous_strides(shape)[::-1], 0,
                  contiguous_strides(out_shape))
    pieces = tile(piece, block)
    assert len(pieces[0].shape) == 4  # the tile grid and the tile
    got, written = _run_pieces(pieces, [x], x.size)
    assert (written == 1).all()
    np.testing.assert_array_equal(got, x.reshape(shape).T.ravel())


def test_pad_pieces_tile_the_output_once():
    def pad(x):
        return ff.pad(x, [[2, 1], [0, 3]], constant_values=5)

    compiled = ff.function(pad, jit_compile=True)
    x = _data((3, 4))
    run = compiled.get_concrete_function(ff.constant(x)).executable()
    run([x])
    (kernel,) = [s for s in run._last.plan.steps if isinstance(s, CopyKernel)]
    got, written = _run_pieces(kernel.pieces, [x.ravel()], 6 * 7, kernel.fill)
    assert (written == 1).all()
    np.testing.assert_array_equal(got.reshape(6, 7), pad(ff.constant(x)).numpy())


def _threaded_cases():
    n = PARALLEL_MIN_ELEMENTS
    return [
        ("transpose", lambda x: ff.transpose(x), [(255, 257)], n - 1),
        ("transpose", lambda x: ff.transpose(x), [(256, 257)], n + 256),
        ("transpose", lambda x: ff.transpose(x, (2, 0, 1)), [(3, 5, n // 15 + 1)], n + 14),
        ("reverse", lambda x: ff.reverse(x, [1]), [(3, n // 3)], n - 1),
        ("reverse", lambda x: ff.reverse(x, [1]), [(3, n // 3 + 1)], n + 2),
        ("strided_slice", lambda x: x[:, ::2], [(2, n + 2)], n + 2),
        ("strided_slice", lambda x: x[::-1, 1:], [(2, n // 2)], n - 2),
        ("concat", lambda x, y: ff.concat([x, y], 1), [(8, 4095), (8, 4096)], n - 8),
        ("concat", lambda x, y: ff.concat([x, y], 1), [(8, 4097), (8, 4096)], n + 8),
        ("concat", lambda x, y: ff.concat([x, y], 0), [(127, 256), (129, 256)], n),
        ("pad", lambda x: ff.pad(x, [[1, 1], [2, 1]], constant_values=3), [(254, 253)], n),
        ("pad", lambda x: ff.pad(x, [[1, 1], [2, 1]], mode="REFLECT"), [(254, 252)], n - 256),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.int8])
@pytest.mark.parametrize("op,fn,shapes,size", _threaded_cases(),
                         ids=[f"{c[0]}-{c[3]}" for c in _threaded_cases()])
def test_copies_just_below_and_above_the_thread_split_match_eager(op, fn, shapes, size, dtype):
    arrays = [_data(s, dtype) for s in shapes]
    _check(fn, *arrays, op=op)
    compiled = ff.function(fn, jit_compile=True)
    run = compiled.get_concrete_function(*map(ff.constant, arrays)).executable()
    run(arrays)
    (kernel,) = [s for s in run._last.plan.steps if isinstance(s, CopyKernel)]
    assert int(np.prod(kernel.out.shape)) == size
    assert kernel.parallel == (size >= PARALLEL_MIN_ELEMENTS)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.bool_])
@pytest.mark.parametrize("perm", [(1, 0), (0, 2, 1), (2, 1, 0)])
def test_tiled_transposes_of_odd_sizes_match_eager(perm, dtype):
    shape = (37, 70) if len(perm) == 2 else (3, 41, 66)
    x = _data(shape, dtype) if dtype != np.bool_ else _data(shape).astype(int) % 3 == 0
    _check(lambda t: ff.transpose(t, perm), x, op="transpose")


# -- broadcast_to: an elementwise kernel with stride-0 reads, never a NumPy fallback ---------------

@pytest.mark.parametrize("shape,target", [((3, 1), (3, 4)), ((1,), (5,)), ((), (2, 3)),
                                          ((4,), (2, 3, 4)), ((3, 1), (2, 3, 5)),
                                          ((1, 1), (1, 1)), ((2, 1, 3), (2, 4, 3)),
                                          ((1, 3), (0, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_broadcast_to_returned_as_an_output_matches_eager(shape, target, dtype):
    x = _data(shape, dtype) if dtype != np.bool_ else _data(shape) > 0
    compiled = ff.function(lambda t: ff.broadcast_to(t, target), jit_compile=True)
    t = ff.constant(x)
    got = compiled(t)
    assert got.shape == target and got.dtype == t.dtype
    np.testing.assert_array_equal(got.numpy(), np.broadcast_to(x, target))
    assert not explain(compiled, t).fallbacks


def test_broadcast_to_feeding_arithmetic_fuses_into_one_kernel():
    compiled = ff.function(lambda t: ff.broadcast_to(t, (2, 3, 4)) * 2.0 + 1.0,
                           jit_compile=True)
    x = ff.constant(_data((3, 1)))
    np.testing.assert_array_equal(compiled(x).numpy(), np.broadcast_to(x.numpy(), (2, 3, 4))
                                  * 2 + 1)
    report = explain(compiled, x)
    assert len(report.kernels) == 1 and not report.fallbacks


def test_broadcast_to_of_a_large_input_matches_eager():
    x = _data((1, 300, 1))
    compiled = ff.function(lambda t: ff.broadcast_to(t, (4, 300, 64)), jit_compile=True)
    np.testing.assert_array_equal(compiled(ff.constant(x)).numpy(),
                                  np.broadcast_to(x, (4, 300, 64)))
