"""Elementwise ops: identity and casts, the core unary ops, + - * / and the *_like helpers.

Each op's `lower` is a scalar expression (see fuseflow.core.scalar) the compiler fuses. The rest
of the family lives in `binary_math`, `unary_math`, `comparison` and `activation`; every op of
the family can be imported from this module.
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.ops._helpers import (
    FLOATS,
    NUMBERS,
    binary_operands,
    binary_spec,
    elementwise_spec,
    quiet,
    unbroadcast,
)
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

ANY = NUMBERS | {"bool", "string"}


def _unary(op: str, x, name=None) -> Tensor:
    return bind(op, convert_to_tensor(x), name=name)


def _binary(op: str, x, y, name=None) -> Tensor:
    x, y = binary_operands(x, y, op)
    return bind(op, x, y, name=name)


# -- identity, stop_gradient, cast ---------------------------------------------------------------

define_op("identity", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("identity", ANY),
          impl=lambda x: x, grad=lambda g, y, x: (g,), lower=lambda b, x: x)


@export("identity")
def identity(input, name=None) -> Tensor:
    """Return a tensor with the same value as `input`."""
    return _unary("identity", input, name)


define_op("stop_gradient", kind=OpKind.ELEMENTWISE,
          infer=elementwise_spec("stop_gradient", ANY), impl=lambda x: x,
          lower=lambda b, x: x)


@export("stop_gradient")
def stop_gradient(input, name=None) -> Tensor:
    """Pass `input` through; tapes see no gradient flowing back through it."""
    return _unary("stop_gradient", input, name)


def _cast_infer(x: TensorSpec, *, dtype) -> TensorSpec:
    return TensorSpec(x.shape, dtype)


def _cast_grad(g, y, x, *, dtype):
    if not (x.dtype.is_floating and y.dtype.is_floating):
        return (None,)
    return (cast(g, x.dtype),)


define_op("cast", kind=OpKind.ELEMENTWISE, infer=_cast_infer,
          impl=lambda x, *, dtype: x.astype(dtype.np_dtype),
          grad=_cast_grad, lower=lambda b, x, *, dtype: b.cast(x, dtype.np_dtype))


@export("cast", "dtypes.cast")
def cast(x, dtype, name=None) -> Tensor:
    """Cast `x` to `dtype` (floats to ints truncate toward zero, as TF)."""
    dtype = dtypes.as_dtype(dtype)
    x = convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    return bind("cast", x, dtype=dtype, name=name)


# -- the unary ops the core needs first (more in unary_math and activation) ---------------------

define_op("negative", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("negative"),
          impl=np.negative, grad=lambda g, y, x: (negative(g),), lower=lambda b, x: b.neg(x))


@export("math.negative", "negative")
def negative(x, name=None) -> Tensor:
    """-x, elementwise."""
    return _unary("negative", x, name)


define_op("exp", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("exp", FLOATS), impl=quiet(np.exp),
          # Reuse the forward output: d exp(x) = exp(x).
          grad=lambda g, y, x: (multiply(g, y),), lower=lambda b, x: b.exp(x))


@export("math.exp", "exp")
def exp(x, name=None) -> Tensor:
    """e ** x, elementwise."""
    return _unary("exp", x, name)


define_op("log", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("log", FLOATS), impl=quiet(np.log),
          grad=lambda g, y, x: (divide(g, x),), lower=lambda b, x: b.log(x))


@export("math.log", "log")
def log(x, name=None) -> Tensor:
    """Natural logarithm, elementwise."""
    return _unary("log", x, name)


define_op("tanh", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("tanh", FLOATS),
          impl=np.tanh,
          # Reuse the forward output: d tanh(x) = 1 - tanh(x)^2, no second tanh in the graph.
          grad=lambda g, y, x: (multiply(g, subtract(1.0, multiply(y, y))),),
          lower=lambda b, x: b.tanh(x))


@export("math.tanh", "tanh", "nn.tanh")
def tanh(x, name=None) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return _unary("tanh", x, name)


define_op("relu", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("relu"),
          impl=lambda x: np.maximum(x, x.dtype.type(0)),
          grad=lambda g, y, x: (multiply(g, cast(greater(y, 0), y.dtype)),),
          lower=lambda b, x: b.max(x, b.const(0)))


@export("nn.relu")
def relu(features, name=None) -> Tensor:
    """max(x, 0), elementwise."""
    return _unary("relu", features, name)


# -- binary arithmetic ------------------------------------------------------------------------

define_op("add", kind=OpKind.ELEMENTWISE, infer=binary_spec("add", NUMBERS | {"string"}),
          impl=np.add, commutative=True,
          grad=lambda g, z, x, y: (unbroadcast(g, x), unbroadcast(g, y)),
          lower=lambda b, x, y: b.add(x, y))


@export("math.add", "add")
def add(x, y, name=None) -> Tensor:
    """x + y with broadcasting."""
    return _binary("add", x, y, name)


define_op("subtract", kind=OpKind.ELEMENTWISE, infer=binary_spec("subtract"), impl=np.subtract,
          grad=lambda g, z, x, y: (unbroadcast(g, x), unbroadcast(negative(g), y)),
          lower=lambda b, x, y: b.sub(x, y))


@export("math.subtract", "subtract")
def subtract(x, y, name=None) -> Tensor:
    """x - y with broadcasting."""
    return _binary("subtract", x, y, name)


define_op("multiply", kind=OpKind.ELEMENTWISE, infer=binary_spec("multiply"), impl=np.multiply,
          commutative=True,
          grad=lambda g, z, x, y: (unbroadcast(multiply(g, y), x), unbroadcast(multiply(g, x), y)),
          lower=lambda b, x, y: b.mul(x, y))


@export("math.multiply", "multiply")
def multiply(x, y, name=None) -> Tensor:
    """x * y with broadcasting."""
    return _binary("multiply", x, y, name)


def _divide_grad(g, z, x, y):
    gx = divide(g, y)
    return unbroadcast(gx, x), unbroadcast(negative(multiply(gx, z)), y)


define_op("divide", kind=OpKind.ELEMENTWISE, infer=binary_spec("divide", FLOATS),
          impl=quiet(np.true_divide), grad=_divide_grad, lower=lambda b, x, y: b.div(x, y))


@export("math.divide", "divide", "math.truediv", "truediv", "realdiv")
def divide(x, y, name=None) -> Tensor:
    """x / y with broadcasting; integer operands are cast to float64 like TF's truediv."""
    x, y = binary_operands(x, y, "divide")
    if x.dtype.is_integer:
        wide = dtypes.float64 if x.dtype.size > 2 else dtypes.float32
        x, y = cast(x, wide), cast(y, wide)
    return bind("divide", x, y, name=name)


# -- creation helpers that are elementwise in nature -----------------------------------------

define_op("zeros_like", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("zeros_like", ANY),
          impl=np.zeros_like, lower=lambda b, x: b.const(0))


@export("zeros_like")
def zeros_like(input, dtype=None, name=None) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `input`."""
    x = bind("zeros_like", convert_to_tensor(input), name=name)
    return x if dtype is None else cast(x, dtype)


define_op("ones_like", kind=OpKind.ELEMENTWISE, infer=elementwise_spec("ones_like", ANY),
          impl=np.ones_like, lower=lambda b, x: b.const(1))


@export("ones_like")
def ones_like(input, dtype=None, name=None) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `input`."""
    x = bind("ones_like", convert_to_tensor(input), name=name)
    return x if dtype is None else cast(x, dtype)


# The rest of the family: importing it here registers its ops and lets callers import any
# elementwise op from this module (the sibling modules import the arithmetic above).
from fuseflow.core.ops.activation import (  # noqa: E402, F401
    elu,
    gelu,
    leaky_relu,
    relu6,
    selu,
    sigmoid,
    softplus,
    softsign,
    swish,
)
from fuseflow.core.ops.binary_math import (  # noqa: E402, F401
    add_n,
    clip_by_value,
    divide_no_nan,
    floordiv,
    floormod,
    maximum,
    minimum,
    pow,
    scalar_mul,
    squared_difference,
)
from fuseflow.core.ops.comparison import (  # noqa: E402, F401
    equal,
    greater,
    greater_equal,
    is_finite,
    is_nan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
    select,
    where,
)
from fuseflow.core.ops.unary_math import (  # noqa: E402, F401
    abs,
    ceil,
    cos,
    erf,
    expm1,
    floor,
    log1p,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    tan,
)

