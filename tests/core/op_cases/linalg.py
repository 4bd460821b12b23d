"""Cases for fuseflow.core.ops.linalg."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from tests.core.op_cases.case import OpCase, floats, positive, sample


def _einsum(equation: str, *shapes, **kwargs) -> OpCase:
    return OpCase("einsum", lambda *xs: ff.einsum(equation, *xs),
                  sample(*(floats(*s) for s in shapes)),
                  lambda *xs: np.einsum(equation, *xs), label=equation, **kwargs)


def _l2_normalize_reference(x, axis):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))


CASES = [
    OpCase("matmul", ff.matmul, sample(floats(3, 4), floats(4, 5)), np.matmul),
    OpCase("matmul", lambda a, b: ff.matmul(a, b, transpose_a=True, transpose_b=True),
           sample(floats(4, 3), floats(5, 4)), lambda a, b: a.T @ b.T, label="tt"),
    OpCase("matmul", ff.matmul, sample(floats(2, 3, 4), floats(4, 2)), np.matmul, label="batch"),
    OpCase("matmul", ff.matmul, sample(floats(2, 1, 3, 4), floats(3, 4, 2)), np.matmul,
           label="batch_broadcast"),
    OpCase("matmul", lambda a, b: ff.linalg.matmul(a, b, adjoint_a=True),
           sample(floats(2, 4, 3), floats(2, 4, 5)),
           lambda a, b: np.swapaxes(a, -1, -2) @ b, label="adjoint_a"),
    OpCase("matmul", lambda a, b: ff.matmul(a, b, adjoint_b=True),
           sample(floats(3, 4), floats(5, 4)), lambda a, b: a @ b.T, label="adjoint_b"),
    _einsum("ij,jk->ik", (3, 4), (4, 2)),
    _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 2)),
    _einsum("i,i->", (5,), (5,)),
    _einsum("ij->ji", (3, 4)),
    _einsum("bi,bi->b", (3, 4), (3, 4)),
    _einsum("ij,j->i", (3, 4), (4,)),
    _einsum("ij->i", (3, 4)),
    _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    _einsum("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
    _einsum("bhqd,bhkd->bhqk", (1, 2, 3, 4), (1, 2, 5, 4)),
    _einsum("ii->i", (3, 3), grad=False),
    OpCase("einsum", lambda a, b: ff.einsum("ij,jk", a, b), sample(floats(3, 4), floats(4, 2)),
           np.matmul, label="implicit"),
    OpCase("einsum", lambda a, b: ff.tensordot(a, b, axes=1),
           sample(floats(2, 3, 4), floats(4, 5)), lambda a, b: np.tensordot(a, b, axes=1),
           label="tensordot_int"),
    OpCase("einsum", lambda a, b: ff.linalg.tensordot(a, b, axes=[[0, 2], [2, 0]]),
           sample(floats(2, 3, 4), floats(4, 5, 2)),
           lambda a, b: np.tensordot(a, b, axes=[[0, 2], [2, 0]]), label="tensordot_pairs"),
    OpCase("einsum", lambda a, b: ff.tensordot(a, b, axes=0), sample(floats(2), floats(3)),
           np.outer, label="tensordot_outer"),
    OpCase("reduce_sum", ff.norm, sample(floats(3, 4)), lambda x: np.linalg.norm(x),
           label="norm_euclidean"),
    OpCase("reduce_sum", lambda x: ff.linalg.norm(x, ord=2, axis=1, keepdims=True),
           sample(floats(3, 4)), lambda x: np.linalg.norm(x, axis=1, keepdims=True),
           label="norm_2_axis"),
    OpCase("reduce_sum", lambda x: ff.norm(x, ord=1, axis=0), sample(floats(3, 4)),
           lambda x: np.linalg.norm(x, ord=1, axis=0), label="norm_1"),
    OpCase("reduce_max", lambda x: ff.norm(x, ord=np.inf, axis=-1), sample(floats(3, 4)),
           lambda x: np.linalg.norm(x, ord=np.inf, axis=-1), label="norm_inf"),
    OpCase("reduce_sum", lambda x: ff.norm(x, ord=3, axis=1), sample(positive(3, 4)),
           lambda x: np.linalg.norm(x, ord=3, axis=1), label="norm_3"),
    OpCase("reduce_sum", lambda x: ff.norm(x, ord="fro", axis=[-2, -1]),
           sample(floats(2, 3, 4)), lambda x: np.linalg.norm(x, ord="fro", axis=(-2, -1)),
           label="norm_fro"),
    OpCase("reduce_max", lambda x: ff.norm(x, ord=1, axis=[0, 1]), sample(floats(3, 4)),
           lambda x: np.linalg.norm(x, ord=1, axis=(0, 1)), label="norm_matrix_1"),
    OpCase("reduce_max", lambda x: ff.norm(x, ord=np.inf, axis=(0, 1), keepdims=True),
           sample(floats(3, 4)),
           lambda x: np.linalg.norm(x, ord=np.inf, axis=(0, 1), keepdims=True),
           label="norm_matrix_inf"),
    OpCase("maximum", lambda x: ff.math.l2_normalize(x, axis=1), sample(floats(3, 4)),
           lambda x: _l2_normalize_reference(x, 1), label="l2_normalize"),
    OpCase("maximum", ff.linalg.l2_normalize, sample(floats(2, 3)),
           lambda x: _l2_normalize_reference(x, None), label="l2_normalize_all"),
]
