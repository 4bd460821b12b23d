"""Variable: mutable state read and written through the execution context."""

from __future__ import annotations

import itertools
import threading

import numpy as np

from fuseflow.core import context, dtypes
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.core.tensor import Tensor, _numpy_repr, convert_to_tensor

_names_lock = threading.Lock()
_name_counts: dict[str, itertools.count] = {}


def _unique_name(base: str) -> str:
    """`Variable:0`, then `Variable_1:0`, ...: every variable name is unique in the process."""
    with _names_lock:
        n = next(_name_counts.setdefault(base, itertools.count()))
    return f"{base}:0" if n == 0 else f"{base}_{n}:0"


class Variable:
    """A mutable tensor-like value, like `tf.Variable`.

    Reads and writes go through the current execution context, so inside a traced function they
    become `read_variable` and `assign*` graph nodes that run on every call.
    """

    __array_priority__ = 100

    def __init__(self, initial_value=None, trainable: bool = True, name: str | None = None,
                 dtype=None, shape=None, validate_shape: bool = True, **unused):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            with context.eager_scope():
                initial_value = initial_value()
        ctx = context.current()
        if isinstance(initial_value, Variable):
            initial_value = initial_value.read_value()
        value = np.array(ctx.initial_value(convert_to_tensor(initial_value, dtype=dtype)),
                         copy=True, order="C")
        self._value: np.ndarray = value
        self._tensor: Tensor | None = None
        self._shape = TensorShape(value.shape if shape is None else shape)
        if not self._shape.is_compatible_with(value.shape):
            raise ValueError(f"Variable: initial value of shape {value.shape} does not match "
                             f"`shape` {self._shape}")
        self._trainable = bool(trainable)
        base = name[:-2] if name and name.endswith(":0") else (name or "Variable")
        self._name = _unique_name(base)
        ctx.variable_created(self)

    # -- metadata --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self):
        return dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def spec(self) -> TensorSpec:
        return TensorSpec(self._value.shape, self.dtype)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def device(self) -> str:
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def get_shape(self) -> TensorShape:
        return self._shape

    def ref(self):
        from fuseflow.core.tensor import _Ref

        return _Ref(self)

    # -- reading ---------------------------------------------------------------------------
    def _as_tensor(self) -> Tensor:
        return context.read_variable(self)

    def read_value(self) -> Tensor:
        """The current value as a tensor."""
        return context.read_variable(self)

    def value(self) -> Tensor:
        return context.read_variable(self)

    def numpy(self) -> np.ndarray:
        """A copy of the current value (later assignments do not change it)."""
        return self._value[()] if self._value.ndim == 0 else self._value.copy()

    def __array__(self, dtype=None, copy=None):
        return np.array(self._value, dtype=dtype, copy=True)

    # -- writing ---------------------------------------------------------------------------
    def assign(self, value, use_locking=None, name=None, read_value=True) -> Variable:
        """Replace the value; the new value must have the variable's shape."""
        return self._write(value, "assign")

    def assign_add(self, delta, use_locking=None, name=None, read_value=True) -> Variable:
        """Add `delta` to the value in place."""
        return self._write(delta, "assign_add")

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True) -> Variable:
        """Subtract `delta` from the value in place."""
        return self._write(delta, "assign_sub")

    def _write(self, value, mode: str) -> Variable:
        if isinstance(value, Tensor):
            tensor = value
            if tensor.dtype != self.dtype:
                raise TypeError(f"{mode} on variable {self._name!r}: value has dtype "
                                f"{tensor.dtype.name}, the variable {self.dtype.name}")
        else:
            tensor = convert_to_tensor(value, dtype_hint=self.dtype)
            if tensor.dtype != self.dtype:
                from fuseflow.core.ops.elementwise import cast

                tensor = cast(tensor, self.dtype) if _same_kind(tensor, self) else tensor
        if tensor.dtype != self.dtype:
            raise TypeError(f"{mode} on variable {self._name!r}: value has dtype "
                            f"{tensor.dtype.name}, the variable {self.dtype.name}")
        if not self._shape.is_compatible_with(tensor.shape):
            raise ValueError(f"Cannot {mode} to variable '{self._name}': Shape mismatch. The "
                             f"variable shape {self._shape}, and the assigned value shape "
                             f"{tensor.shape} are incompatible.")
        context.assign_variable(self, tensor, mode)
        return self

    # -- text ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (f"<tf.Variable '{self._name}' shape={self._shape} dtype={self.dtype.name}, "
                f"numpy={_numpy_repr(self.numpy())}>")

    def __str__(self) -> str:
        return repr(self)

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return bool(self.read_value())

    def __float__(self) -> float:
        return float(self.read_value())

    def __int__(self) -> int:
        return int(self.read_value())

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self):
        return iter(self.read_value())

    def __deepcopy__(self, memo):
        return Variable(self._value.copy(), trainable=self._trainable, name=self._name[:-2])


def _same_kind(tensor: Tensor, variable: Variable) -> bool:
    """A Python/NumPy value converts into the variable's dtype when both are float or int."""
    a, b = tensor.dtype, variable.dtype
    return (a.is_floating and b.is_floating) or (a.is_integer and b.is_integer)
