"""Linear algebra: matmul, tensordot, einsum, norms."""

from __future__ import annotations

import numpy as np

from fuseflow.core.api import export
from fuseflow.core.context import bind, gradient_needed
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

    ga = gb = None
    if gradient_needed(0):
        if transpose_a:
            ga = matmul(b, g, transpose_a=transpose_b, transpose_b=True)
        else:
            ga = matmul(g, b, transpose_b=not transpose_b)
        ga = unbroadcast(ga, a)
    if gradient_needed(1):
        if transpose_b:
            gb = matmul(g, a, transpose_a=True, transpose_b=transpose_a)
        else:
            gb = matmul(a, g, transpose_a=not transpose_a)
        gb = unbroadcast(gb, b)
    return ga, gb


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


# -- einsum ---------------------------------------------------------------------------------------

def _einsum_operands(equation: str) -> tuple[list[str], str]:
    inputs, _, output = equation.partition("->")
    return inputs.split(","), output


def canonical_equation(equation: str, ranks: list[int]) -> str:
    """An explicit equation of letters only: "ij,jk" -> "ij,jk->ik", "..." spelled out."""
    equation = equation.replace(" ", "")
    subs, output = _einsum_operands(equation)
    if len(subs) != len(ranks):
        raise InvalidArgumentError("einsum", f"equation {equation!r} names {len(subs)} operands "
                                   f"but {len(ranks)} were given")
    used = set(equation) - set(".,->")
    if any(not c.isalpha() for c in used):
        raise InvalidArgumentError("einsum", f"invalid subscripts in equation {equation!r}")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    widest = max((r - len(s) + 3 for s, r in zip(subs, ranks) if "..." in s), default=0)
    fill = "".join(spare[:widest])
    subs = [s.replace("...", fill[len(fill) - (r - len(s) + 3):]) if "..." in s else s
            for s, r in zip(subs, ranks)]
    if "->" not in equation:
        letters = "".join(subs)
        output = fill + "".join(sorted(c for c in set(letters) - set(fill)
                                       if letters.count(c) == 1))
    else:
        output = output.replace("...", fill)
    return ",".join(subs) + "->" + output


def _einsum_infer(*specs: TensorSpec, equation: str) -> TensorSpec:
    subs, output = _einsum_operands(equation)
    sizes: dict[str, int | None] = {}
    for s, spec in zip(subs, specs):
        if spec.dtype != specs[0].dtype:
            raise InvalidArgumentError("einsum", f"operands have different dtypes: "
                                       f"{specs[0].dtype.name} vs {spec.dtype.name}")
        if len(s) != spec.rank:
            raise InvalidArgumentError("einsum", f"subscripts {s!r} do not match an operand of "
                                       f"shape {list(spec.shape)} in {equation!r}")
        for c, d in zip(s, spec.shape):
            known = sizes.get(c)
            if known not in (None, 1) and d not in (None, 1, known):
                raise InvalidArgumentError("einsum", f"dimension {c!r} is {known} in one operand "
                                           f"and {d} in another in {equation!r}")
            sizes[c] = d if known in (None, 1) else known
    if len(set(output)) != len(output) or any(c not in sizes for c in output):
        raise InvalidArgumentError("einsum", f"invalid output subscripts in {equation!r}")
    check_dtype("einsum", specs[0], FLOATS | INTS, "operands")
    return TensorSpec(tuple(sizes[c] for c in output), specs[0].dtype)


def _einsum_impl(*xs, equation):
    # optimize=True routes 2+ operands through BLAS (tensordot) instead of a plain C loop.
    out = np.einsum(equation, *xs, optimize=len(xs) > 1)
    return np.asarray(out, dtype=xs[0].dtype)


def _fit_to(g: Tensor, x: Tensor) -> Tensor:
    """Sum `g` over axes where `x` was broadcast (size 1), then broadcast to `x`'s shape."""
    from fuseflow.core.ops.movement import broadcast_like
    from fuseflow.core.ops.reduction import reduce_sum

    axes = [i for i, (a, b) in enumerate(zip(g.shape, x.shape)) if b == 1 and a != 1]
    if axes:
        g = reduce_sum(g, axis=axes, keepdims=True)
    return g if tuple(g.shape) == tuple(x.shape) else broadcast_like(g, x)


def _einsum_grad(g, y, *xs, equation):
    from fuseflow.core.ops.movement import reshape

    subs, output = _einsum_operands(equation)
    grads = []
    for i, (s, x) in enumerate(zip(subs, xs)):
        if len(set(s)) != len(s):
            raise NotImplementedError(f"einsum: no gradient for repeated subscripts {s!r}")
        others = [o for k, o in enumerate(subs) if k != i]
        seen = set(output).union(*others)
        kept = "".join(c for c in s if c in seen)
        gi = einsum(",".join([output, *others]) + "->" + kept,
                    g, *[o for k, o in enumerate(xs) if k != i])
        if kept != s:  # labels summed away in the forward pass come back as size-1 axes
            shape = [(-1 if gi.shape[kept.index(c)] is None else gi.shape[kept.index(c)])
                     if c in kept else 1 for c in s]
            gi = reshape(gi, shape)
        grads.append(_fit_to(gi, x))
    return tuple(grads)


define_op("einsum", kind=OpKind.OPAQUE, infer=_einsum_infer, impl=_einsum_impl,
          grad=_einsum_grad)


@export("einsum", "linalg.einsum")
def einsum(equation: str, *inputs, name=None, **kwargs) -> Tensor:
    """Sum of products over the labelled axes, like `np.einsum` ("ij,jk->ik", "...ij->...ji")."""
    from fuseflow.core.tensor import convert_to_tensor

    if len(inputs) == 1 and isinstance(inputs[0], list | tuple):
        inputs = tuple(inputs[0])
    tensors = [convert_to_tensor(x) for x in inputs]
    equation = canonical_equation(equation, [t.ndim for t in tensors])
    flags = _matmul_flags(*_einsum_operands(equation))
    if flags is not None and tensors[0].dtype == tensors[1].dtype:
        return matmul(*tensors, *flags, name=name)  # the compiler fuses matmul, not einsum
    return bind("einsum", *tensors, equation=equation, name=name)


def _matmul_flags(subs: list[str], output: str) -> tuple[bool, bool] | None:
    """(transpose_a, transpose_b) when the equation is a (batched) matmul, like "bij,bkj->bik"."""
    if len(subs) != 2 or not len(subs[0]) == len(subs[1]) == len(output) >= 2:
        return None
    (a, b), batch, (m, n) = subs, output[:-2], output[-2:]
    if a[:-2] != batch or b[:-2] != batch or len(set(a + b + output)) != len(output) + 1:
        return None
    k = (set(a[-2:]) - {m}).pop() if m in a[-2:] else None
    if k is None or k == n or sorted(b[-2:]) != sorted(k + n):
        return None
    return a[-2:] == k + m, b[-2:] == n + k


@export("tensordot", "linalg.tensordot")
def tensordot(a, b, axes, name=None) -> Tensor:
    """Contract `axes` of `a` with `axes` of `b` (an int N means a's last N with b's first N)."""
    a, b = binary_operands(a, b, "tensordot")
    if isinstance(axes, int | np.integer):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise InvalidArgumentError("tensordot", f"axes {axes} is out of range for shapes "
                                       f"{list(a.shape)} and {list(b.shape)}")
        a_axes, b_axes = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        a_axes, b_axes = ([x] if isinstance(x, int | np.integer) else list(x) for x in axes)
    if len(a_axes) != len(b_axes):
        raise InvalidArgumentError("tensordot", f"axes {axes!r} pair {len(a_axes)} axes of a "
                                   f"with {len(b_axes)} of b")
    letters = "abcdefghijklmnopqrstuvwxyz"
    a_sub = list(letters[:a.ndim])
    b_sub = list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(a_axes, b_axes):
        b_sub[int(j) % b.ndim] = a_sub[int(i) % a.ndim]
    out = [c for c in a_sub if c not in b_sub] + [c for c in b_sub if c not in a_sub]
    return einsum(f"{''.join(a_sub)},{''.join(b_sub)}->{''.join(out)}", a, b, name=name)


# -- norms --------------------------------------------------------------------------------------

def _vector_norm(x: Tensor, ord, axis, keepdims: bool) -> Tensor:
    from fuseflow.core.ops import elementwise as ew
    from fuseflow.core.ops.reduction import reduce_max, reduce_sum

    if ord in ("euclidean", "fro", 2, 2.0):
        return ew.sqrt(reduce_sum(ew.multiply(x, x), axis=axis, keepdims=keepdims))
    if ord in (1, 1.0):
        return reduce_sum(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return reduce_max(ew.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, int | float) and ord > 0:
        total = reduce_sum(ew.pow(ew.abs(x), float(ord)), axis=axis, keepdims=keepdims)
        return ew.pow(total, 1.0 / ord)
    raise InvalidArgumentError("norm", f"ord must be 'euclidean', 'fro', a positive number or "
                               f"np.inf, got {ord!r}")


def _matrix_norm(x: Tensor, ord, axes: tuple[int, int], keepdims: bool) -> Tensor:
    from fuseflow.core.ops import elementwise as ew
    from fuseflow.core.ops.reduction import reduce_max, reduce_sum

    if ord in ("euclidean", "fro"):
        return _vector_norm(x, ord, axes, keepdims)
    if ord not in (1, np.inf):
        raise InvalidArgumentError("norm", f"matrix ord must be 'fro', 'euclidean', 1 or np.inf, "
                                   f"got {ord!r}")
    # ord=1: largest column sum of |x|; ord=inf: largest row sum.
    summed, other = (axes[0], axes[1]) if ord == 1 else (axes[1], axes[0])
    sums = reduce_sum(ew.abs(x), axis=summed, keepdims=True)
    out = reduce_max(sums, axis=other, keepdims=True)
    if not keepdims:
        from fuseflow.core.ops.movement import squeeze

        out = squeeze(out, axes)
    return out


@export("norm", "linalg.norm")
def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None) -> Tensor:
    """Vector norm (over all elements or one axis) or matrix norm (over a pair of axes)."""
    from fuseflow.core.ops._helpers import canonical_axes
    from fuseflow.core.tensor import convert_to_tensor

    x = convert_to_tensor(tensor)
    keepdims = bool(keepdims)
    axes = canonical_axes(axis, x.ndim, "norm")
    if axis is not None and len(axes) == 2 and not isinstance(axis, int | np.integer):
        return _matrix_norm(x, ord, tuple(axis_ % x.ndim for axis_ in axis), keepdims)
    if axis is not None and len(axes) != 1:
        raise InvalidArgumentError("norm", f"axis must be None, an int or a pair of ints, got "
                                   f"{axis!r}")
    return _vector_norm(x, ord, axes, keepdims)


@export("math.l2_normalize", "linalg.l2_normalize", "nn.l2_normalize")
def l2_normalize(x, axis=None, epsilon: float = 1e-12, name=None, dim=None) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon)) along `axis` (all axes when None)."""
    from fuseflow.core.ops import elementwise as ew
    from fuseflow.core.ops.reduction import reduce_sum
    from fuseflow.core.tensor import convert_to_tensor

    x = convert_to_tensor(x)
    axis = dim if axis is None else axis
    square_sum = reduce_sum(ew.multiply(x, x), axis=axis, keepdims=True)
    return ew.multiply(x, ew.rsqrt(ew.maximum(square_sum, epsilon)), name=name)
