"""nn and linalg ops beyond the op cases: errors, canonical attrs, dropout, second derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.core.errors import InvalidArgumentError, UnimplementedError
from tests.helpers import check_vjp, record_ops

rng = np.random.default_rng(0)


def _floats(*shape):
    return ff.constant(rng.uniform(-1, 1, size=shape).astype(np.float32))


def _raises(fn, *needles: str):
    with pytest.raises(InvalidArgumentError) as info:
        fn()
    text = str(info.value)
    for needle in (*needles, "test_nn.py"):
        assert needle in text, f"{needle!r} missing from: {text}"
    return info.value


# -- errors name the op, the shapes and the caller's line ----------------------------------------

def test_conv2d_rejects_filter_of_wrong_rank():
    _raises(lambda: ff.nn.conv2d(_floats(1, 5, 5, 3), _floats(3, 3, 3), 1, "VALID"),
            "conv2d", "[3, 3, 3]", "4-dimensional")


def test_conv2d_rejects_channel_mismatch():
    _raises(lambda: ff.nn.conv2d(_floats(1, 5, 5, 3), _floats(3, 3, 2, 4), 1, "SAME"),
            "conv2d", "in_channels 2", "f32[1,5,5,3]")


@pytest.mark.parametrize("fn", [
    lambda x: ff.nn.conv2d(x, _floats(3, 3, 3, 2), 1, "FULL"),
    lambda x: ff.nn.max_pool2d(x, 2, 2, "FULL"),
    lambda x: ff.nn.avg_pool2d(x, 2, 2, "FULL"),
    lambda x: ff.nn.depthwise_conv2d(x, _floats(3, 3, 3, 1), [1, 1, 1, 1], "FULL"),
], ids=["conv2d", "max_pool2d", "avg_pool2d", "depthwise_conv2d"])
def test_bad_padding_string_is_rejected(fn):
    _raises(lambda: fn(_floats(1, 5, 5, 3)), "padding", "'FULL'")


def test_conv2d_rejects_window_larger_than_input():
    _raises(lambda: ff.nn.conv2d(_floats(1, 2, 2, 1), _floats(3, 3, 1, 1), 1, "VALID"),
            "conv2d", "negative")


def test_conv2d_rejects_bad_strides_and_nchw():
    _raises(lambda: ff.nn.conv2d(_floats(1, 5, 5, 1), _floats(3, 3, 1, 1), [2, 2, 2, 2], "SAME"),
            "strides")
    with pytest.raises(UnimplementedError, match="NHWC"):
        ff.nn.conv2d(_floats(1, 1, 5, 5), _floats(3, 3, 1, 1), 1, "SAME", data_format="NCHW")


def test_sparse_xent_rejects_batch_mismatch():
    labels = ff.constant([0, 1, 2, 1])
    _raises(lambda: ff.nn.sparse_softmax_cross_entropy_with_logits(labels, _floats(2, 3)),
            "sparse_softmax_cross_entropy_with_logits", "[2, 3]", "[4]")


@pytest.mark.parametrize("bad", [3, -1])
def test_sparse_xent_rejects_label_out_of_range(bad):
    labels = ff.constant([0, bad])
    error = _raises(lambda: ff.nn.sparse_softmax_cross_entropy_with_logits(labels, _floats(2, 3)),
                    f"label value of {bad}", "[0, 3)")
    assert error.op == "sparse_softmax_cross_entropy_with_logits"


def test_softmax_xent_and_sigmoid_xent_reject_shape_mismatch():
    _raises(lambda: ff.nn.softmax_cross_entropy_with_logits(_floats(2, 4), _floats(2, 3)),
            "softmax_cross_entropy_with_logits", "same shape")
    _raises(lambda: ff.nn.sigmoid_cross_entropy_with_logits(labels=_floats(3),
                                                             logits=_floats(2, 3)),
            "sigmoid_cross_entropy_with_logits", "same shape")


def test_bias_add_rejects_wrong_bias_length():
    _raises(lambda: ff.nn.bias_add(_floats(2, 3), _floats(4)), "bias_add", "[4]", "[2, 3]")


def test_einsum_rejects_mismatched_dims_and_operand_count():
    _raises(lambda: ff.einsum("ij,ij->i", _floats(2, 3), _floats(2, 4)), "einsum", "'j'")
    _raises(lambda: ff.einsum("ij,jk->ik", _floats(2, 3)), "einsum", "2 operands")


def test_norm_rejects_unknown_ord():
    _raises(lambda: ff.norm(_floats(3), ord="nuc"), "norm", "'nuc'")


# -- canonical attrs ------------------------------------------------------------------------------

def _attrs_of(fn, *args) -> list[dict]:
    return [attrs for _, _, attrs, _ in record_ops(fn, *args)]


def test_conv2d_spellings_of_strides_and_padding_bind_equal_attrs():
    x, w = _floats(1, 6, 6, 2), _floats(3, 3, 2, 2)
    spellings = [
        lambda: ff.nn.conv2d(x, w, 2, "same"),
        lambda: ff.nn.conv2d(x, w, [2, 2], "SAME", dilations=1),
        lambda: ff.nn.conv2d(x, w, [1, 2, 2, 1], "SAME", dilations=[1, 1, 1, 1]),
    ]
    attrs = [_attrs_of(fn) for fn in spellings]
    assert attrs[0] == attrs[1] == attrs[2]
    assert attrs[0] == [{"strides": (2, 2), "padding": "SAME", "dilations": (1, 1)}]
    explicit = _attrs_of(lambda: ff.nn.conv2d(x, w, 1, [[0, 0], [1, 1], [2, 0], [0, 0]]))
    assert explicit[0]["padding"] == ((1, 1), (2, 0))


def test_softmax_axis_is_canonical():
    x = _floats(2, 3)
    assert _attrs_of(lambda: ff.nn.softmax(x, axis=-1)) == _attrs_of(lambda: ff.nn.softmax(x))
    assert _attrs_of(lambda: ff.nn.softmax(x)) == [{"axis": 1}]


def test_pool_ksize_spellings_bind_equal_attrs():
    x = _floats(1, 4, 4, 1)
    a = _attrs_of(lambda: ff.nn.max_pool2d(x, 2, 2, "VALID"))
    b = _attrs_of(lambda: ff.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"))
    assert a == b == [{"ksize": (2, 2), "strides": (2, 2), "padding": "VALID"}]


# -- behaviour ------------------------------------------------------------------------------------

def test_max_pool_gradient_goes_to_the_first_of_tied_maxima():
    x = ff.constant(np.ones((1, 2, 2, 1), np.float32))
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.nn.max_pool2d(x, 2, 2, "VALID")
    grad = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(grad[0, :, :, 0], [[1, 0], [0, 0]])


def test_sparse_xent_gradient_is_softmax_minus_one_hot():
    logits = _floats(4, 3)
    labels = ff.constant([0, 2, 1, 2])
    with ff.GradientTape() as tape:
        tape.watch(logits)
        loss = ff.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    x = logits.numpy().astype(np.float64)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(),
                               p - np.eye(3)[[0, 2, 1, 2]], rtol=1e-5, atol=1e-6)


def test_dropout_keeps_scaled_values_and_drops_about_rate():
    x = ff.constant(np.full((100, 100), 2.0, np.float32))
    y = ff.nn.dropout(x, rate=0.25, seed=1).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2.0 / 0.75, rtol=1e-6)
    assert 0.22 < 1 - kept.mean() < 0.28


def test_dropout_gradient_is_the_scaled_mask():
    x = _floats(50, 20)
    with ff.GradientTape() as tape:
        tape.watch(x)
        y = ff.nn.dropout(x, 0.5)
    grad = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(grad, (y.numpy() != 0) * 2.0)


def test_dropout_rate_zero_is_identity_and_bad_rate_fails():
    x = _floats(3)
    assert ff.nn.dropout(x, 0.0) is x
    _raises(lambda: ff.nn.dropout(x, 1.0), "dropout", "[0, 1)")


def test_dropout_noise_shape_shares_the_mask():
    y = ff.nn.dropout(ff.ones((6, 50)), 0.5, noise_shape=[1, 50]).numpy()
    assert (y == y[0]).all()


def test_dropout_draws_a_new_mask_on_every_call_of_a_traced_function():
    step = ff.function(lambda x: ff.nn.dropout(x, 0.5))
    x = ff.ones((64, 64))
    first, second = step(x).numpy(), step(x).numpy()
    assert not np.array_equal(first, second)


# -- second derivatives: gradients of gradients match finite differences --------------------------

def _grad_of(fn, wrt: int):
    """A function returning d sum(fn(*args) ** 2) / d args[wrt], computed with a tape."""

    def grad(*args):
        with ff.GradientTape() as tape:
            tape.watch(args[wrt])
            out = fn(*args)
            loss = ff.reduce_sum(ff.multiply(out, out))
        return tape.gradient(loss, args[wrt])

    return grad


SECOND_ORDER = {
    "conv2d_x": (lambda x, w: ff.nn.conv2d(x, w, 2, "SAME"), 0, [(1, 5, 5, 2), (3, 3, 2, 2)]),
    "conv2d_w": (lambda x, w: ff.nn.conv2d(x, w, 1, "VALID"), 1, [(1, 4, 4, 2), (2, 2, 2, 3)]),
    "depthwise": (lambda x, w: ff.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"), 0,
                  [(1, 4, 4, 2), (3, 3, 2, 2)]),
    "max_pool": (lambda x: ff.nn.max_pool2d(x, 2, 1, "VALID"), 0, [(1, 3, 3, 2)]),
    "avg_pool": (lambda x: ff.nn.avg_pool2d(x, 2, 2, "SAME"), 0, [(1, 3, 3, 2)]),
    "softmax": (ff.nn.softmax, 0, [(3, 4)]),
    "log_softmax": (ff.nn.log_softmax, 0, [(3, 4)]),
    "sparse_xent": (lambda x: ff.nn.sparse_softmax_cross_entropy_with_logits(
        ff.constant([1, 0, 2]), x), 0, [(3, 3)]),
    "einsum": (lambda a, b: ff.einsum("bij,bjk->bik", a, b), 0, [(2, 2, 3), (2, 3, 2)]),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivative_matches_finite_differences(name):
    fn, wrt, shapes = SECOND_ORDER[name]
    arrays = [rng.uniform(-1, 1, size=s) for s in shapes]
    check_vjp(_grad_of(fn, wrt), arrays)
