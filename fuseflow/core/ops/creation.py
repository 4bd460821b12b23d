"""Tensors made from attributes alone: zeros, ones, fill, eye, range, linspace.

They are ops with no tensor inputs (a shape only known at run time comes in as a shape tensor),
so a trace records them as nodes with their attributes.
"""

from __future__ import annotations

import builtins

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import as_shape_tuple
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor


def shape_operands(shape, op: str) -> tuple[tuple, tuple | None]:
    """(inputs, shape attr): a static shape is an attr; a symbolic shape tensor is an input."""
    if isinstance(shape, Tensor) and type(shape) is not Tensor:  # symbolic: known at run time
        return (shape,), None
    shape = as_shape_tuple(shape, op)
    if any(d < 0 for d in shape):
        raise InvalidArgumentError(op, f"shape must be non-negative, got {list(shape)}")
    return (), shape


def output_shape(shape_specs, shape) -> tuple:
    """The inferred shape: the attr, or unknown dims when it comes from a shape tensor."""
    if shape_specs:
        return (None,) * (shape_specs[0].shape[0] or 0)
    return shape


def run_shape(arrays, shape) -> tuple:
    """The concrete shape at run time."""
    return tuple(int(d) for d in arrays[0]) if arrays else shape


# -- fill, zeros, ones -------------------------------------------------------------------------

define_op("fill", kind=OpKind.OPAQUE,
          infer=lambda *specs, shape, value, dtype: TensorSpec(output_shape(specs, shape), dtype),
          impl=lambda *arrays, shape, value, dtype: np.full(run_shape(arrays, shape), value,
                                                            dtype=dtype.np_dtype))


def _fill(shape, value, dtype, name) -> Tensor:
    inputs, static = shape_operands(shape, "fill")
    kind = builtins.bool if dtype.is_bool else (float if dtype.is_floating else int)
    return bind("fill", *inputs, shape=static, value=kind(value), dtype=dtype, name=name)


@export("zeros")
def zeros(shape, dtype=dtypes.float32, name=None) -> Tensor:
    """A tensor of zeros (float32 unless `dtype` says otherwise)."""
    return _fill(shape, 0, dtypes.as_dtype(dtype), name)


@export("ones")
def ones(shape, dtype=dtypes.float32, name=None) -> Tensor:
    """A tensor of ones (float32 unless `dtype` says otherwise)."""
    return _fill(shape, 1, dtypes.as_dtype(dtype), name)


@export("fill")
def fill(dims, value, name=None) -> Tensor:
    """A tensor of shape `dims` holding `value` everywhere (its dtype is `value`'s)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        from fuseflow.core.ops.movement import broadcast_to

        return broadcast_to(value, dims)  # differentiable in `value`, as TF's fill
    tensor = convert_to_tensor(value)
    if tensor.ndim:
        raise InvalidArgumentError("fill", f"value must be a scalar, got shape "
                                   f"{list(tensor.shape)}")
    return _fill(dims, tensor.numpy().item(), tensor.dtype, name)


# -- eye -----------------------------------------------------------------------------------------

define_op("eye", kind=OpKind.OPAQUE,
          infer=lambda *, num_rows, num_columns, batch_shape, dtype: TensorSpec(
              (*batch_shape, num_rows, num_columns), dtype),
          impl=lambda *, num_rows, num_columns, batch_shape, dtype: np.array(np.broadcast_to(
              np.eye(num_rows, num_columns, dtype=dtype.np_dtype),
              (*batch_shape, num_rows, num_columns))))


@export("eye", "linalg.eye")
def eye(num_rows: int, num_columns: int | None = None, batch_shape=None, dtype=dtypes.float32,
        name=None) -> Tensor:
    """An identity matrix (or a batch of them), `num_rows` x `num_columns`."""
    rows = int(num_rows)
    cols = rows if num_columns is None else int(num_columns)
    if rows < 0 or cols < 0:
        raise InvalidArgumentError("eye", f"num_rows and num_columns must be non-negative, got "
                                   f"{rows}, {cols}")
    batch = () if batch_shape is None else as_shape_tuple(batch_shape, "eye")
    return bind("eye", num_rows=rows, num_columns=cols, batch_shape=batch,
                dtype=dtypes.as_dtype(dtype), name=name)


# -- range and linspace --------------------------------------------------------------------------

def _range_length(start, limit, delta) -> int:
    return max(0, int(np.ceil((limit - start) / delta)))


def _range_infer(*, start, limit, delta, dtype) -> TensorSpec:
    if delta == 0:
        raise InvalidArgumentError("range", "Requires delta != 0")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise InvalidArgumentError("range", f"Requires start <= limit when delta > 0: "
                                   f"{start}/{limit}" if delta > 0 else
                                   f"Requires start >= limit when delta < 0: {start}/{limit}")
    return TensorSpec((_range_length(start, limit, delta),), dtype)


def _range_impl(*, start, limit, delta, dtype):
    n = _range_length(start, limit, delta)
    # start + i*delta (not np.arange's accumulated steps), so the length always matches infer.
    return (start + np.arange(n, dtype=np.float64 if dtype.is_floating else np.int64)
            * delta).astype(dtype.np_dtype)


define_op("range", kind=OpKind.OPAQUE, infer=_range_infer, impl=_range_impl)


def _python_number(value, what: str):
    if isinstance(value, Tensor):
        if type(value) is not Tensor:
            raise TypeError(f"range: `{what}` must be known when tracing")
        value = value.numpy()
    return value.item() if isinstance(value, np.generic | np.ndarray) else value


@export("range")
def range_(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:
    """Numbers from `start` up to (not including) `limit` by `delta`, like `tf.range`."""
    if limit is None:
        start, limit = 0, start
    values = [_python_number(v, w) for v, w in ((start, "start"), (limit, "limit"),
                                                 (delta, "delta"))]
    if dtype is None:
        dtype = dtypes.float32 if any(isinstance(v, float) for v in values) else dtypes.int32
    dtype = dtypes.as_dtype(dtype)
    cast = float if dtype.is_floating else int
    start, limit, delta = (cast(v) for v in values)
    _range_infer(start=start, limit=limit, delta=delta, dtype=dtype)
    return bind("range", start=start, limit=limit, delta=delta, dtype=dtype,
                name=None if name == "range" else name)


define_op("linspace", kind=OpKind.OPAQUE,
          infer=lambda *, start, stop, num, dtype: TensorSpec((num,), dtype),
          impl=lambda *, start, stop, num, dtype: np.linspace(start, stop, num).astype(
              dtype.np_dtype))


@export("linspace", "lin_space")
def linspace(start, stop, num: int, name=None, axis: int = 0) -> Tensor:
    """`num` evenly spaced values from `start` to `stop`, both included."""
    start_t = convert_to_tensor(_python_number(start, "start"), dtype_hint=dtypes.float32)
    dtype = start_t.dtype if start_t.dtype.is_floating else dtypes.float32
    if int(num) < 0:
        raise InvalidArgumentError("linspace", f"num must be non-negative, got {num}")
    return bind("linspace", start=float(start_t.numpy()),
                stop=float(_python_number(stop, "stop")), num=int(num), dtype=dtype, name=name)
