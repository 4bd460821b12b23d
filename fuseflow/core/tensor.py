"""Tensor: an immutable value backed by a NumPy array, and conversion to it.

Python operators (`+`, `@`, `[]`, ...) are installed by `fuseflow.core.ops.operators`, since
they are ops and ops are defined above this module.
"""

from __future__ import annotations

import numbers

import numpy as np

from fuseflow.core import context, dtypes
from fuseflow.core.dtypes import DType
from fuseflow.core.shape import TensorShape, TensorSpec


class Tensor:
    """An immutable multi-dimensional array, like an eager `tf.Tensor`."""

    __slots__ = ("_value", "__weakref__")
    __array_priority__ = 100  # NumPy defers `ndarray + tensor` to Tensor.__radd__

    def __init__(self, value):
        self._value = np.asarray(value)

    @property
    def dtype(self) -> DType:
        return dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def spec(self) -> TensorSpec:
        return TensorSpec(self._value.shape, self.dtype)

    @property
    def name(self) -> str:
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    def get_shape(self) -> TensorShape:
        return self.shape

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array (a scalar tensor gives a NumPy scalar)."""
        return self._value[()] if self._value.ndim == 0 else self._value

    def ref(self):
        """A hashable reference to this tensor, as TF's `Tensor.ref()`."""
        return _Ref(self)

    def __array__(self, dtype=None, copy=None):
        if dtype is None or np.dtype(dtype) == self._value.dtype:
            return self._value.copy() if copy else self._value
        return self._value.astype(dtype)

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if not self.dtype.is_integer:
            raise TypeError(f"Only integer scalar tensors can be an index, got {self.dtype}")
        return int(self._scalar("index"))

    def __bool__(self) -> bool:
        return bool(self._scalar("bool"))

    def _scalar(self, what: str):
        if self._value.size != 1:
            raise TypeError(f"Only a tensor of one element can be converted to {what}; "
                            f"this one has shape {self.shape}")
        return self._value.reshape(()).item()

    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (wrap(row) for row in self._value)

    def __repr__(self) -> str:
        return (f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_numpy_repr(self.numpy())}>")

    def __str__(self) -> str:
        return f"tf.Tensor({_numpy_str(self._value)}, shape={self.shape}, dtype={self.dtype.name})"

    def __format__(self, spec: str) -> str:
        if self._value.ndim == 0 and spec:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (Tensor, (self._value,))

    def __deepcopy__(self, memo):
        return self  # immutable

    def __copy__(self):
        return self


class _Ref:
    """Hashable wrapper returned by `Tensor.ref()` and `Variable.ref()`."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self) -> int:
        return id(self._obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Ref) and other._obj is self._obj


class SpecTensor(Tensor):
    """A tensor known only by its spec, never by its numbers: a traced value, a Keras
    functional-API placeholder. Subclasses say what reaching for the numbers means."""

    __slots__ = ("_spec",)

    @property
    def dtype(self):
        return self._spec.dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._spec.shape)

    @property
    def ndim(self) -> int:
        return len(self._spec.shape)

    @property
    def spec(self) -> TensorSpec:
        return self._spec


def _numpy_repr(value) -> str:
    if isinstance(value, np.ndarray):
        text = repr(value)
        return "\n" + text if "\n" in text else text  # TF starts a multi-line value on its own line
    if isinstance(value, bytes | str):
        return repr(value)
    return repr(value.item()) if isinstance(value, np.bool_) else str(value)


def _numpy_str(value: np.ndarray) -> str:
    if value.ndim == 0:
        item = value.item()
        return repr(item) if isinstance(item, bytes | str) else str(value[()])
    text = str(value)
    return "\n" + text if "\n" in text else text


def wrap(value) -> Tensor:
    """A Tensor around an op's result (no copy; a NumPy scalar becomes a 0-d array)."""
    tensor = object.__new__(Tensor)
    tensor._value = value if type(value) is np.ndarray else np.asarray(value)
    return tensor


def _python_array(value, dtype: DType | None) -> np.ndarray:
    """Convert Python/NumPy data with TF's defaults: ints -> int32, floats -> float32."""
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind in "USO" and (dtype is None or dtype == dtypes.string):
            return _as_bytes(array)
        if dtype is None:
            return array
        _check_castable(array, dtype)
        return array.astype(dtype.np_dtype, copy=False)
    if dtype is not None and dtype != dtypes.string:
        array = np.asarray(value)
        _check_castable(array, dtype)
        return np.asarray(array, dtype=dtype.np_dtype)
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(np.float32)
    if kind in "iu":
        if array.size and (array.max() > 2**31 - 1 or array.min() < -(2**31)):
            return array.astype(np.int64)
        return array.astype(np.int32)
    if kind in "USO":
        return _as_bytes(array)
    if kind == "c":
        raise TypeError("complex numbers are not supported by fuseflow")
    return array


_encode = np.frompyfunc(lambda s: s.encode() if isinstance(s, str) else s, 1, 1)


def _as_bytes(array: np.ndarray) -> np.ndarray:
    """A string tensor's storage: an object array of `bytes`, as TF holds text (UTF-8)."""
    return np.asarray(_encode(array), dtype=object)


def _check_castable(array: np.ndarray, dtype: DType) -> None:
    """Refuse conversions TF refuses: a float value into an integer or bool tensor."""
    kind = array.dtype.kind
    target = dtype.np_dtype.kind
    if kind == "f" and target in "iub" and array.size and not np.all(np.mod(array, 1) == 0):
        raise TypeError(
            f"Cannot convert {_short_value(array)} to EagerTensor of dtype {dtype.name}")
    if kind in "USO" and target != "O":
        raise TypeError(
            f"Cannot convert {_short_value(array)} to EagerTensor of dtype {dtype.name}")


def _short_value(array: np.ndarray) -> str:
    text = repr(array.item()) if array.ndim == 0 else np.array2string(array, threshold=6)
    return text if len(text) < 60 else text[:57] + "..."


def convert_to_tensor(value, dtype=None, dtype_hint=None, name: str | None = None) -> Tensor:
    """Convert tensors, Variables, NumPy arrays and Python data to a Tensor.

    `dtype` is required to match (a conversion error otherwise); `dtype_hint` is used only when
    the value has no dtype of its own (Python numbers and lists).
    """
    if isinstance(value, Tensor):
        if dtype is not None and as_dtype(dtype) != value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {as_dtype(dtype).name} for "
                             f"Tensor with dtype {value.dtype.name}: {value!r}")
        return value
    to_tensor = getattr(value, "_as_tensor", None)
    if to_tensor is not None:  # Variables and other tensor-likes
        tensor = to_tensor()
        if dtype is not None and as_dtype(dtype) != tensor.dtype:
            raise ValueError(f"Tensor conversion requested dtype {as_dtype(dtype).name} for "
                             f"a value of dtype {tensor.dtype.name}")
        return tensor
    if dtype is not None:
        target = as_dtype(dtype)
    elif dtype_hint is not None and not isinstance(value, np.ndarray | np.generic):
        target = as_dtype(dtype_hint)
        if target.is_integer and _has_float(value):
            target = None  # a hint never turns 1.5 into an int: TF keeps the value's own type
    else:
        target = None
    if isinstance(value, list | tuple) and any(_is_tensor_like(v) for v in _flat(value)):
        from fuseflow.core.ops.movement import stack  # nested lists of tensors pack like tf.stack

        return stack([convert_to_tensor(v, dtype, dtype_hint) for v in value])
    return wrap(_python_array(value, target))


def _is_tensor_like(value) -> bool:
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


def _flat(value):
    for item in value:
        if isinstance(item, list | tuple):
            yield from _flat(item)
        else:
            yield item


def _has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def as_dtype(value) -> DType:
    return dtypes.as_dtype(value)


def is_tensor(value) -> bool:
    """True for Tensors (eager or symbolic) and Variables, like `tf.is_tensor`."""
    return _is_tensor_like(value)


def constant(value, dtype=None, shape=None, name: str | None = None) -> Tensor:
    """Create a constant tensor from Python or NumPy data, like `tf.constant`.

    A Python int list becomes int32 and a float list float32; `shape=` reshapes a value of the
    same size or broadcasts a scalar.
    """
    if isinstance(value, Tensor) and context.executing_eagerly():
        value = value._value
    tensor = convert_to_tensor(value, dtype=dtype)
    if shape is None:
        return tensor
    shape = tuple(TensorShape(shape).as_list())
    array = tensor._value
    if array.size == int(np.prod(shape)):
        return wrap(array.reshape(shape))
    if array.size == 1:
        return wrap(np.broadcast_to(array.reshape(()), shape).copy())
    raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor {value!r} "
                    f"(converted from {array.shape}) has {array.size} elements, but got "
                    f"`shape` {shape} with {int(np.prod(shape))} elements).")


def is_python_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, np.ndarray)
