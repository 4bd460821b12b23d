"""Cases for fuseflow.core.ops.movement, slicing, padding and gather."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.core.context import bind
from tests.core.op_cases.case import OpCase, floats, sample


def fixed(value, dtype=np.int32):
    return lambda rng: np.array(value, dtype=dtype)


def _segment_sum(data, ids, n):
    out = np.zeros((n,) + data.shape[ids.ndim:])
    for index in np.ndindex(*ids.shape):
        out[ids[index]] += data[index]
    return out


def _gather_batched(x, idx):
    return np.stack([np.take(x[b], idx[b], axis=1) for b in range(x.shape[0])])


def _one_hot(idx, depth, on=1.0, off=0.0, axis=-1):
    out = np.where(np.arange(depth) == np.asarray(idx)[..., None], on, off)
    return np.moveaxis(out, -1, axis)


def _strided_grad(g, like):
    out = np.zeros_like(like)
    out[1:, ::-2] = g
    return out


def _mirror_grad(g):
    # REFLECT pad of [[1, 1]] on a length-3 axis: padded[i] copies x[src[i]].
    out = np.zeros((g.shape[0], 3))
    for i, src in enumerate([1, 0, 1, 2, 1]):
        out[:, src] += g[:, i]
    return out


CASES = [
    OpCase("reshape", lambda x: ff.reshape(x, [-1, 2]), sample(floats(3, 4)),
           lambda x: x.reshape(-1, 2)),
    OpCase("broadcast_to", lambda x: ff.broadcast_to(x, [2, 3]), sample(floats(3)),
           lambda x: np.broadcast_to(x, (2, 3))),
    OpCase("broadcast_like", lambda x, y: ff.core.ops.movement.broadcast_like(x, y),
           sample(floats(1, 3), floats(2, 3)), lambda x, y: np.broadcast_to(x, y.shape)),
    OpCase("shape", ff.shape, sample(floats(2, 5)), lambda x: np.array(x.shape), grad=False),
    OpCase("stack", lambda x, y: ff.stack([x, y], axis=1), sample(floats(2, 3), floats(2, 3)),
           lambda x, y: np.stack([x, y], axis=1)),
    OpCase("unstack", lambda x: ff.unstack(x, axis=1), sample(floats(2, 3)),
           lambda x: [x[:, i] for i in range(3)]),
    # transpose, expand_dims, squeeze, reverse
    OpCase("transpose", ff.transpose, sample(floats(2, 3, 4)), lambda x: x.T, label="default"),
    OpCase("transpose", lambda x: ff.transpose(x, [1, 2, 0]), sample(floats(2, 3, 4)),
           lambda x: np.transpose(x, (1, 2, 0)), label="perm"),
    OpCase("expand_dims", lambda x: ff.expand_dims(x, -1), sample(floats(2, 3)),
           lambda x: x[..., None], label="last"),
    OpCase("expand_dims", lambda x: ff.expand_dims(x, 1), sample(floats(2, 3)),
           lambda x: x[:, None], label="middle"),
    OpCase("squeeze", ff.squeeze, sample(floats(1, 3, 1)), lambda x: x.reshape(3), label="all"),
    OpCase("squeeze", lambda x: ff.squeeze(x, [-1]), sample(floats(1, 3, 1)),
           lambda x: x[..., 0], label="axis"),
    OpCase("reverse", lambda x: ff.reverse(x, [0, -1]), sample(floats(2, 3, 2)),
           lambda x: x[::-1, :, ::-1]),
    # concat, split, tile
    OpCase("concat", lambda x, y, z: ff.concat([x, y, z], axis=1),
           sample(floats(2, 1), floats(2, 3), floats(2, 2)),
           lambda x, y, z: np.concatenate([x, y, z], axis=1)),
    OpCase("concat", lambda x, y: ff.concat([x, y], -3), sample(floats(1, 2, 2), floats(2, 2, 2)),
           lambda x, y: np.concatenate([x, y], 0), label="neg_axis"),
    OpCase("split", lambda x: ff.split(x, 3, axis=1), sample(floats(2, 6)),
           lambda x: np.split(x, 3, axis=1), label="num"),
    OpCase("split", lambda x: ff.split(x, [1, -1, 2], axis=0), sample(floats(6, 2)),
           lambda x: np.split(x, [1, 4], axis=0), label="sizes"),
    OpCase("tile", lambda x: ff.tile(x, [2, 1, 3]), sample(floats(2, 3, 1)),
           lambda x: np.tile(x, (2, 1, 3))),
    # pad
    OpCase("pad", lambda x: ff.pad(x, [[1, 0], [2, 1]], constant_values=1.5), sample(floats(2, 3)),
           lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=1.5), label="constant"),
    OpCase("pad", lambda x: ff.pad(x, [[1, 2], [2, 0]], "REFLECT"), sample(floats(3, 3)),
           lambda x: np.pad(x, ((1, 2), (2, 0)), mode="reflect"), label="reflect"),
    OpCase("pad", lambda x: ff.pad(x, [[2, 1], [0, 3]], "symmetric"), sample(floats(2, 3)),
           lambda x: np.pad(x, ((2, 1), (0, 3)), mode="symmetric"), label="symmetric"),
    OpCase("mirror_pad_grad",
           lambda g: bind("mirror_pad_grad", g, paddings=((0, 0), (1, 1)), mode="REFLECT"),
           sample(floats(2, 5)), _mirror_grad),
    # slicing
    OpCase("strided_slice", lambda x: x[1, ::2, -1], sample(floats(3, 4, 2)),
           lambda x: x[1, ::2, -1], label="getitem"),
    OpCase("strided_slice", lambda x: x[..., None, 1:-1], sample(floats(2, 4)),
           lambda x: x[..., None, 1:-1], label="ellipsis_newaxis"),
    OpCase("strided_slice", lambda x: x[::-1, -3:0:-2], sample(floats(2, 5)),
           lambda x: x[::-1, -3:0:-2], label="negative_steps"),
    OpCase("strided_slice", lambda x: ff.slice(x, [1, 0], [-1, 2]), sample(floats(3, 4)),
           lambda x: x[1:, 0:2], label="slice"),
    OpCase("strided_slice",
           lambda x: ff.strided_slice(x, [0, 1, 0], [0, 4, 2], [1, 2, 1], begin_mask=0,
                                      end_mask=4, shrink_axis_mask=1),
           sample(floats(2, 5, 3)), lambda x: x[0, 1:4:2, 0:], label="masks"),
    OpCase("strided_slice_grad",
           lambda g, x: bind("strided_slice_grad", g, x, index=((1, None, 1), (None, None, -2))),
           sample(floats(1, 2), floats(2, 4)), _strided_grad),
    # gather family
    OpCase("gather", lambda x, i: ff.gather(x, i), sample(floats(4, 3), fixed([3, 0, 3])),
           lambda x, i: x[i], label="axis0"),
    OpCase("gather", lambda x, i: ff.gather(x, i, axis=-1), sample(floats(2, 4), fixed([[1, 3]])),
           lambda x, i: np.take(x, i, axis=1), label="axis_neg"),
    OpCase("gather", lambda x, i: ff.gather(x, i, axis=2, batch_dims=1),
           sample(floats(2, 3, 4), fixed([[0, 3], [2, 2]])), _gather_batched, label="batch"),
    OpCase("gather", lambda x: x[:, [2, 0, 2]], sample(floats(2, 3)), lambda x: x[:, [2, 0, 2]],
           label="getitem"),
    OpCase("gather_grad",
           lambda g, i, x: ff.core.ops.gather.gather_grad(g, i, x, axis=0, batch_dims=0),
           sample(floats(3, 2), fixed([1, 0, 1]), floats(2, 2)),
           lambda g, i, x: _segment_sum(g, i, 2)),
    OpCase("unsorted_segment_sum", lambda d, i: ff.math.unsorted_segment_sum(d, i, 3),
           sample(floats(4, 2), fixed([2, 0, 2, 1])), lambda d, i: _segment_sum(d, i, 3)),
    OpCase("gather_nd", ff.gather_nd, sample(floats(3, 4, 2), fixed([[0, 1], [2, 3], [0, 1]])),
           lambda x, i: x[i[:, 0], i[:, 1]]),
    OpCase("gather_nd_grad",
           lambda g, i, x: bind("gather_nd_grad", g, i, x),
           sample(floats(3), fixed([[0, 1], [1, 0], [0, 1]]), floats(2, 2)),
           lambda g, i, x: np.array([[0, g[0] + g[2]], [g[1], 0]])),
    OpCase("one_hot", lambda i: ff.one_hot(i, 4), sample(fixed([[0, 3], [5, -1]])),
           lambda i: _one_hot(i, 4), grad=False),
    OpCase("one_hot", lambda i: ff.one_hot(i, 3, on_value=2.0, off_value=-1.0, axis=0),
           sample(fixed([1, 2])), lambda i: _one_hot(i, 3, 2.0, -1.0, 0), label="axis0",
           grad=False),
    OpCase("boolean_mask", ff.boolean_mask,
           sample(floats(2, 3, 2), fixed([[True, False, True], [False, False, True]], bool)),
           lambda x, m: x[m]),
    OpCase("boolean_mask", lambda x, m: ff.boolean_mask(x, m, axis=1),
           sample(floats(2, 3), fixed([False, True, True], bool)), lambda x, m: x[:, m],
           label="axis1"),
    OpCase("boolean_mask_grad", lambda g, m, x: bind("boolean_mask_grad", g, m, x, axis=0),
           sample(floats(2, 2), fixed([True, False, True], bool), floats(3, 2)),
           lambda g, m, x: np.stack([g[0], np.zeros(2), g[1]])),
]
