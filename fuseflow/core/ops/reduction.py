"""Reductions over axes: sums, means, extrema, arg-extrema, scans."""

from __future__ import annotations

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import (
    BOOLS,
    FLOATS,
    NUMBERS,
    canonical_axes,
    canonical_axis,
    check_dtype,
)
from fuseflow.core.registry import OpKind, Reduction, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def reduced_shape(x: TensorSpec, axis: tuple[int, ...], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axis else d for i, d in enumerate(x.shape))
    return tuple(d for i, d in enumerate(x.shape) if i not in axis)


def reduction_spec(op: str, allowed: frozenset[str] = NUMBERS, out=None):
    """Inference for `op(x, axis=, keepdims=)`."""

    def infer(x: TensorSpec, *, axis: tuple[int, ...], keepdims: bool) -> TensorSpec:
        check_dtype(op, x, allowed)
        if any(not 0 <= a < max(x.rank, 1) for a in axis):
            raise InvalidArgumentError(op, f"axis {axis} out of range for shape {x.shape}")
        return TensorSpec(reduced_shape(x, axis, keepdims), out or x.dtype)

    return infer


def keep_reduced_dims(g: Tensor, x: Tensor, axis: tuple[int, ...], keepdims: bool) -> Tensor:
    """`g` reshaped so it broadcasts against `x` (the reduced axes restored as size 1)."""
    from fuseflow.core.ops.movement import expand_dims, reshape

    if keepdims or not axis:
        return g
    dims = tuple(x.shape)
    if sum(dims[i] is None for i in range(len(dims)) if i not in axis) <= 1:
        return reshape(g, [1 if i in axis else (-1 if d is None else d)
                           for i, d in enumerate(dims)])
    for a in sorted(axis):  # several unknown dims: a reshape could not name them all
        g = expand_dims(g, a)
    return g


def _reducer(op: str):
    """The public function body shared by every `op(x, axis, keepdims)` reduction."""

    def reduce(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
        x = convert_to_tensor(input_tensor)
        return bind(op, x, axis=canonical_axes(axis, x.ndim, op), keepdims=bool(keepdims),
                    name=name)

    reduce.__name__ = op
    return reduce


def _spread(g, x, axis, keepdims):
    """`g` of a reduction broadcast back over `x`."""
    from fuseflow.core.ops.movement import broadcast_like

    return broadcast_like(keep_reduced_dims(g, x, axis, keepdims), x)


def _reduced_count(x: Tensor, y: Tensor, axis) -> int | Tensor:
    """How many elements each output of a reduction of `x` saw (a tensor if unknown now)."""
    dims = [x.shape[a] for a in axis]
    if all(d is not None for d in dims):
        return int(np.prod(dims, dtype=np.int64))
    from fuseflow.core.ops.elementwise import cast, divide

    return divide(cast(size(x), x.dtype), cast(size(y), x.dtype))


# -- sum and mean --------------------------------------------------------------------------------

define_op("reduce_sum", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_sum"),
          impl=lambda x, *, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims,
                                                  dtype=x.dtype),
          grad=lambda g, y, x, *, axis, keepdims: (_spread(g, x, axis, keepdims),),
          lower=Reduction(combine="add", identity=0.0))
reduce_sum = export("math.reduce_sum", "reduce_sum")(_reducer("reduce_sum"))
reduce_sum.__doc__ = "Sum elements across `axis` (all axes when None), like `tf.reduce_sum`."


def _mean_impl(x, *, axis, keepdims):
    if x.dtype.kind in "iu":  # integer mean truncates toward zero, as TF
        total = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
        count = max(int(np.prod([x.shape[a] for a in axis])), 1)
        return (np.sign(total) * (np.abs(total) // count)).astype(x.dtype)
    return np.mean(x, axis=axis, keepdims=keepdims).astype(x.dtype, copy=False)


def _mean_grad(g, y, x, *, axis, keepdims):
    from fuseflow.core.ops.elementwise import divide

    n = _reduced_count(x, y, axis)
    scaled = divide(g, float(n)) if isinstance(n, int) else divide(g, n)
    return (_spread(scaled, x, axis, keepdims),)


define_op("reduce_mean", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_mean"),
          impl=_mean_impl, grad=_mean_grad,
          lower=Reduction(combine="add", identity=0.0,
                          epilogue=lambda b, acc, n: b.div(acc, b.const(n))))
reduce_mean = export("math.reduce_mean", "reduce_mean")(_reducer("reduce_mean"))
reduce_mean.__doc__ = "Mean of elements across `axis` (all axes when None), like `tf.reduce_mean`."


# -- extrema ---------------------------------------------------------------------------------------

def _extremum_impl(fn, fill_sign: int):
    def impl(x, *, axis, keepdims):
        if x.size:
            return fn(x, axis=axis, keepdims=keepdims)
        # An empty reduction gives the identity (-inf for max), as TF does.
        limit = np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).max
        return fn(x, axis=axis, keepdims=keepdims, initial=fill_sign * limit)

    return impl


def _extremum_grad(g, y, x, *, axis, keepdims, is_max: bool):
    """Split `g` equally among the elements that attain the extremum (ties share), as TF."""
    from fuseflow.core.ops.elementwise import cast, divide, greater, multiply, subtract

    best = _spread(y, x, axis, keepdims)
    beaten = greater(best, x) if is_max else greater(x, best)  # y is never beaten the other way
    mask = subtract(1.0, cast(beaten, x.dtype))
    count = reduce_sum(mask, axis=axis, keepdims=True)
    return (divide(multiply(_spread(g, x, axis, keepdims), mask), count),)


define_op("reduce_max", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_max"),
          impl=_extremum_impl(np.max, -1),
          grad=lambda g, y, x, **a: _extremum_grad(g, y, x, is_max=True, **a),
          lower=Reduction(combine="max", identity=-np.inf))
define_op("reduce_min", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_min"),
          impl=_extremum_impl(np.min, 1),
          grad=lambda g, y, x, **a: _extremum_grad(g, y, x, is_max=False, **a),
          lower=Reduction(combine="min", identity=np.inf))
reduce_max = export("math.reduce_max", "reduce_max")(_reducer("reduce_max"))
reduce_max.__doc__ = "Maximum of elements across `axis`, like `tf.reduce_max`."
reduce_min = export("math.reduce_min", "reduce_min")(_reducer("reduce_min"))
reduce_min.__doc__ = "Minimum of elements across `axis`, like `tf.reduce_min`."


# -- product ---------------------------------------------------------------------------------------

def _prod_grad(g, y, x, *, axis, keepdims):
    """Product of all other elements via exclusive cumprods: exact where `x` holds zeros."""
    from fuseflow.core.ops.elementwise import multiply
    from fuseflow.core.ops.movement import reshape, transpose

    if not axis:
        return (g,)
    rest = [i for i in range(x.ndim) if i not in axis]
    perm = rest + list(axis)
    moved = transpose(x, perm)
    flat = reshape(moved, [-1 if x.shape[i] is None else x.shape[i] for i in rest] + [-1])
    last = len(rest)
    others = multiply(cumprod(flat, axis=last, exclusive=True),
                      cumprod(flat, axis=last, exclusive=True, reverse=True))
    others = transpose(reshape(others, [-1 if d is None else d for d in moved.shape]),
                       list(np.argsort(perm)))
    return (multiply(_spread(g, x, axis, keepdims), others),)


define_op("reduce_prod", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_prod"),
          impl=lambda x, *, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims,
                                                   dtype=x.dtype),
          grad=_prod_grad, lower=Reduction(combine="mul", identity=1.0))
reduce_prod = export("math.reduce_prod", "reduce_prod")(_reducer("reduce_prod"))
reduce_prod.__doc__ = "Product of elements across `axis`, like `tf.reduce_prod`."


# -- logic ---------------------------------------------------------------------------------------

def _logic_impl(op: str, fn):
    def impl(x, *, axis, keepdims):
        if x.dtype != np.bool_:  # NumPy would accept numbers; TF does not
            raise InvalidArgumentError(op, f"input must be bool, got {x.dtype}")
        return fn(x, axis=axis, keepdims=keepdims)

    return impl


define_op("reduce_any", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_any", BOOLS),
          impl=_logic_impl("reduce_any", np.any),
          lower=Reduction(combine="or", identity=0.0))
define_op("reduce_all", kind=OpKind.REDUCTION, infer=reduction_spec("reduce_all", BOOLS),
          impl=_logic_impl("reduce_all", np.all),
          lower=Reduction(combine="and", identity=1.0))
reduce_any = export("math.reduce_any", "reduce_any")(_reducer("reduce_any"))
reduce_any.__doc__ = "Logical or of elements across `axis`, like `tf.reduce_any`."
reduce_all = export("math.reduce_all", "reduce_all")(_reducer("reduce_all"))
reduce_all.__doc__ = "Logical and of elements across `axis`, like `tf.reduce_all`."


# -- composites: logsumexp, variance, std, count_nonzero ------------------------------------------

@export("math.reduce_logsumexp", "reduce_logsumexp")
def reduce_logsumexp(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """log(sum(exp(x))) across `axis`, computed stably by shifting by the maximum."""
    from fuseflow.core.ops.elementwise import add, exp, log, stop_gradient, subtract

    x = convert_to_tensor(input_tensor)
    axes = canonical_axes(axis, x.ndim, "reduce_logsumexp")
    # The shift is a constant for differentiation; an infinite max (all -inf, or +inf) is not
    # shifted, so the result is the exact -inf/inf instead of nan.
    shift = stop_gradient(_finite_or_zero(reduce_max(x, axes, keepdims=True)))
    total = reduce_sum(exp(subtract(x, shift)), axes, keepdims=True)
    out = add(log(total), shift)
    return out if keepdims else _drop_axes(out, axes)


def _finite_or_zero(x: Tensor) -> Tensor:
    from fuseflow.core.ops import elementwise as ew

    where, is_finite = getattr(ew, "where", None), getattr(ew, "is_finite", None)
    if where is None or is_finite is None:
        return ew.multiply(x, 1.0)
    return where(is_finite(x), x, ew.zeros_like(x))


def _drop_axes(x: Tensor, axes) -> Tensor:
    from fuseflow.core.ops.movement import squeeze

    return squeeze(x, axes) if axes else x


@export("math.reduce_variance")
def reduce_variance(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Population variance across `axis`, like `tf.math.reduce_variance`."""
    from fuseflow.core.ops.elementwise import multiply, subtract

    x = convert_to_tensor(input_tensor)
    check_dtype("reduce_variance", x.spec, FLOATS)
    axes = canonical_axes(axis, x.ndim, "reduce_variance")
    centered = subtract(x, reduce_mean(x, axes, keepdims=True))
    return reduce_mean(multiply(centered, centered), axes, keepdims=keepdims)


@export("math.reduce_std")
def reduce_std(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Population standard deviation across `axis`, like `tf.math.reduce_std`."""
    from fuseflow.core.ops import elementwise as ew

    variance = reduce_variance(input_tensor, axis, keepdims)
    sqrt = getattr(ew, "sqrt", None)
    return sqrt(variance) if sqrt is not None else ew.exp(ew.multiply(ew.log(variance), 0.5))


@export("math.count_nonzero")
def count_nonzero(input, axis=None, keepdims: bool = False, dtype=dtypes.int64,
                  name=None) -> Tensor:
    """How many elements across `axis` are not zero (int64 unless `dtype` says otherwise)."""
    from fuseflow.core.ops.elementwise import cast

    x = convert_to_tensor(input)
    nonzero = x if x.dtype == dtypes.bool_ else cast(x, dtypes.bool_)
    return reduce_sum(cast(nonzero, dtype), axis, keepdims=keepdims)


# -- arg-extrema -------------------------------------------------------------------------------

def _arg_infer(op: str):
    def infer(x: TensorSpec, *, axis: int, output_type) -> TensorSpec:
        check_dtype(op, x, NUMBERS)
        if not 0 <= axis < x.rank:
            raise InvalidArgumentError(op, f"axis {axis} out of range for shape {list(x.shape)}")
        if x.shape[axis] == 0:
            raise InvalidArgumentError(op, f"Reduction axis {axis} is empty in shape "
                                       f"{list(x.shape)}")
        return TensorSpec(x.shape[:axis] + x.shape[axis + 1:], output_type)

    return infer


define_op("argmax", kind=OpKind.OPAQUE, infer=_arg_infer("argmax"),
          impl=lambda x, *, axis, output_type: np.argmax(x, axis=axis).astype(
              output_type.np_dtype))
define_op("argmin", kind=OpKind.OPAQUE, infer=_arg_infer("argmin"),
          impl=lambda x, *, axis, output_type: np.argmin(x, axis=axis).astype(
              output_type.np_dtype))


def _arg(op: str, input, axis, output_type, name) -> Tensor:
    x = convert_to_tensor(input)
    axis = canonical_axis(0 if axis is None else axis, max(x.ndim, 1), op)
    return bind(op, x, axis=axis, output_type=dtypes.as_dtype(output_type), name=name)


@export("math.argmax", "argmax")
def argmax(input, axis=None, output_type=dtypes.int64, name=None) -> Tensor:
    """Index of the largest value along `axis` (0 when None), int64 by default like TF."""
    return _arg("argmax", input, axis, output_type, name)


@export("math.argmin", "argmin")
def argmin(input, axis=None, output_type=dtypes.int64, name=None) -> Tensor:
    """Index of the smallest value along `axis` (0 when None), int64 by default like TF."""
    return _arg("argmin", input, axis, output_type, name)


# -- sizes ---------------------------------------------------------------------------------------

define_op("size", kind=OpKind.OPAQUE,
          infer=lambda x, *, out_type: TensorSpec((), out_type),
          impl=lambda x, *, out_type: np.array(x.size, dtype=out_type.np_dtype))
define_op("rank", kind=OpKind.OPAQUE,
          infer=lambda x: TensorSpec((), dtypes.int32),
          impl=lambda x: np.array(x.ndim, dtype=np.int32))


@export("size")
def size(input, out_type=dtypes.int32, name=None) -> Tensor:
    """The number of elements of `input` as a scalar (known at run time)."""
    return bind("size", convert_to_tensor(input), out_type=dtypes.as_dtype(out_type), name=name)


@export("rank")
def rank(input, name=None) -> Tensor:
    """The rank of `input` as an int32 scalar."""
    return bind("rank", convert_to_tensor(input), name=name)


from fuseflow.core.ops.scan import cumprod, cumsum, top_k  # noqa: E402, F401  (re-exported)
