"""Helpers shared by the op families: inference builders, operand conversion, unbroadcast."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.dtypes import DType
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor, wrap

Shape = tuple  # tuple[int | None, ...]


# -- shapes ------------------------------------------------------------------------------------

def broadcast_shapes(op: str, a: Shape, b: Shape) -> Shape:
    """NumPy broadcasting of two static shapes; `None` (unknown) dims stay unknown unless the
    other side fixes them."""
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        elif y is None or x == y:
            out.append(x)
        else:
            raise InvalidArgumentError(op, f"Incompatible shapes: {list(a)} vs. {list(b)}")
    return tuple(out)


def canonical_axes(axis, ndim: int | None, op: str = "op") -> tuple[int, ...] | None:
    """Normalise `axis` (None, an int, a list or a tensor) to a sorted tuple of non-negative axes.

    None stays None only when `ndim` is unknown; otherwise it means every axis.
    """
    if axis is None:
        return None if ndim is None else tuple(range(ndim))
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    elif isinstance(axis, np.ndarray):
        axis = axis.tolist()
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    out = []
    for a in axes:
        a = int(a)
        if ndim is not None and not -ndim <= a < max(ndim, 1):
            raise InvalidArgumentError(op, f"axis {a} is out of range for a tensor of rank {ndim}")
        out.append(a % ndim if ndim else a)
    if len(set(out)) != len(out):
        raise InvalidArgumentError(op, f"axis {tuple(axes)} names an axis twice")
    return tuple(sorted(out))


def canonical_axis(axis: int, ndim: int, op: str) -> int:
    """One axis in [-ndim, ndim) made non-negative."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise InvalidArgumentError(op, f"axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % ndim


# -- inference builders -------------------------------------------------------------------------

FLOATS = frozenset({"float16", "float32", "float64"})
INTS = frozenset({"int8", "int16", "int32", "int64", "uint8"})
NUMBERS = FLOATS | INTS
BOOLS = frozenset({"bool"})


def check_dtype(op: str, spec: TensorSpec, allowed: frozenset[str], what: str = "x") -> None:
    if spec.dtype.name not in allowed:
        raise InvalidArgumentError(op, f"`{what}` has dtype {spec.dtype.name}; expected one of "
                                   f"{', '.join(sorted(allowed))}")


def elementwise_spec(op: str, allowed: frozenset[str] = NUMBERS, out: DType | None = None):
    """Inference for a unary elementwise op: same shape; dtype unchanged or `out`."""

    def infer(x: TensorSpec, **attrs) -> TensorSpec:
        check_dtype(op, x, allowed)
        return TensorSpec(x.shape, out or x.dtype)

    return infer


def binary_spec(op: str, allowed: frozenset[str] = NUMBERS, out: DType | None = None):
    """Inference for a broadcasting binary op: operands of one dtype, result shape broadcast."""

    def infer(x: TensorSpec, y: TensorSpec, **attrs) -> TensorSpec:
        if x.dtype != y.dtype:
            raise InvalidArgumentError(op, f"operands have different dtypes: {x.dtype.name} vs "
                                       f"{y.dtype.name}")
        check_dtype(op, x, allowed)
        return TensorSpec(broadcast_shapes(op, x.shape, y.shape), out or x.dtype)

    return infer


# -- operand conversion --------------------------------------------------------------------------

def operand_like(value, dtype: DType, op: str) -> Tensor:
    """Convert a non-tensor operand to `dtype` with TF's rules.

    Python scalars adopt the tensor's dtype (a float never becomes an int); NumPy arrays of the
    same kind (float64 with float32) are converted; anything else must already match.
    """
    if isinstance(value, bool | int | float) and not isinstance(value, np.generic):
        if isinstance(value, float) and not dtype.is_floating:
            raise TypeError(f"{op}: Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
        if dtype.is_bool and not isinstance(value, bool):
            raise TypeError(f"{op}: Cannot convert {value!r} to EagerTensor of dtype bool")
        return wrap(np.array(value, dtype=dtype.np_dtype))
    if isinstance(value, np.ndarray | np.generic):
        kind, target = np.asarray(value).dtype.kind, dtype.np_dtype.kind
        same_kind = kind == target or (kind in "iu" and target in "iu")
        if not same_kind:
            raise TypeError(f"{op}: cannot combine a NumPy array of dtype {value.dtype} with a "
                            f"{dtype.name} tensor; cast one of them first")
        return wrap(np.asarray(value, dtype=dtype.np_dtype))
    tensor = convert_to_tensor(value, dtype_hint=dtype)
    if tensor.dtype != dtype:
        raise TypeError(f"{op}: Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    return tensor


def binary_operands(x, y, op: str) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of one dtype; at least one side must fix the dtype."""
    if type(x) is Tensor:  # fast path for eager `x op y` and `x op 1.0`: no conversions
        ty = type(y)
        if ty is Tensor and x._value.dtype == y._value.dtype:
            return x, y
        if ty is float and x._value.dtype.kind == "f":
            return x, wrap(np.array(y, x._value.dtype))
    if not isinstance(x, Tensor) and hasattr(x, "_as_tensor"):
        x = x._as_tensor()
    if not isinstance(y, Tensor) and hasattr(y, "_as_tensor"):
        y = y._as_tensor()
    if isinstance(x, Tensor):
        if not isinstance(y, Tensor):
            y = operand_like(y, x.dtype, op)
    elif isinstance(y, Tensor):
        x = operand_like(x, y.dtype, op)
    else:
        x = convert_to_tensor(x)
        y = operand_like(y, x.dtype, op)
    if x.dtype != y.dtype:
        raise InvalidArgumentError(op, f"cannot compute {op} as input #1(zero-based) was expected "
                                   f"to be a {x.dtype.name} tensor but is a {y.dtype.name} tensor",
                                   f"{x.spec.short()}, {y.spec.short()}")
    return x, y


# -- gradients ------------------------------------------------------------------------------------

def unbroadcast(g: Tensor, like: Tensor) -> Tensor:
    """Sum `g` back down to the shape of `like` after NumPy broadcasting (JAX's _unbroadcast)."""
    from fuseflow.core.ops.movement import reshape
    from fuseflow.core.ops.reduction import reduce_sum

    g_shape, shape = tuple(g.shape), tuple(like.shape)
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and g_shape[lead + i] != 1:
            axes.append(lead + i)
    if axes:
        g = reduce_sum(g, axis=axes)
    if not g.shape.is_compatible_with(shape):
        g = reshape(g, [-1 if d is None else d for d in shape])
    return g


def as_shape_tuple(shape, op: str) -> tuple[int, ...]:
    """A static shape argument (list, tuple, TensorShape or int tensor) as a tuple of ints."""
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, int | np.integer):
        shape = [shape]
    try:
        return tuple(-1 if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise InvalidArgumentError(op, f"shape must be a list of ints, got {shape!r}") from None


def result_dtype(values: Sequence[Tensor]) -> DType:
    return values[0].dtype if values else dtypes.float32


def quiet(impl):
    """`impl` without NumPy's floating-point warnings: log(0) = -inf and 1/0 = inf are results
    here, as in TF, not events to warn about."""

    def run(*arrays, **attrs):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            return impl(*arrays, **attrs)

    run.__name__ = getattr(impl, "__name__", "impl")
    return run
