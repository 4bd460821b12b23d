"""Linear algebra: matmul, tensordot, einsum, norms."""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import FLOATS, INTS, binary_operands, broadcast_shapes, check_dtype
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor


def _matmul_infer(a: TensorSpec, b: TensorSpec, *, transpose_a: bool,
                  transpose_b: bool) -> TensorSpec:
    if a.dtype != b.dtype:
        raise InvalidArgumentError("matmul", f"operands have different dtypes: {a.dtype.name} vs "
                                   f"{b.dtype.name}")
    check_dtype("matmul", a, FLOATS | INTS, "a")
    if a.rank < 2 or b.rank < 2:
        raise InvalidArgumentError("matmul", f"both operands need rank >= 2, got shapes "
                                   f"{list(a.shape)} and {list(b.shape)}")
    m, k = a.shape[-2:][::-1] if transpose_a else a.shape[-2:]
    k2, n = b.shape[-2:][::-1] if transpose_b else b.shape[-2:]
    if k is not None and k2 is not None and k != k2:
        raise InvalidArgumentError(
            "matmul", f"Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: {list(b.shape)}")
    batch = broadcast_shapes("matmul", a.shape[:-2], b.shape[:-2])
    return TensorSpec((*batch, m, n), a.dtype)


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _matmul_impl(a, b, *, transpose_a, transpose_b):
    return np.matmul(_t(a) if transpose_a else a, _t(b) if transpose_b else b)


def _matmul_grad(g, y, a, b, *, transpose_a, transpose_b):
    from fuseflow.core.ops._helpers import unbroadcast

    if not transpose_a and not transpose_b:
        ga = matmul(g, b, transpose_b=True)
        gb = matmul(a, g, transpose_a=True)
    elif not transpose_a and transpose_b:
        ga = matmul(g, b)
        gb = matmul(g, a, transpose_a=True)
    elif transpose_a and not transpose_b:
        ga = matmul(b, g, transpose_b=True)
        gb = matmul(a, g)
    else:
        ga = matmul(b, g, transpose_a=True, transpose_b=True)
        gb = matmul(g, a, transpose_a=True, transpose_b=True)
    return unbroadcast(ga, a), unbroadcast(gb, b)


define_op("matmul", kind=OpKind.MATMUL, infer=_matmul_infer, impl=_matmul_impl,
          grad=_matmul_grad)


@export("linalg.matmul", "matmul")
def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse=False, b_is_sparse=False, output_type=None,
           name=None) -> Tensor:
    """Matrix product of the last two axes, batched over the leading ones."""
    a, b = binary_operands(a, b, "matmul")
    return bind("matmul", a, b, transpose_a=bool(transpose_a or adjoint_a),
                transpose_b=bool(transpose_b or adjoint_b), name=name)
