"""Random ops (`fuseflow.random`): stateful, never folded, seeded by `random_state`.

Each op carries `seed=(global, op)` and draws from the generator `random_state` keeps for that
pair, so a graph node draws fresh numbers on every run. The output shape is the `shape` attr, or
comes from a shape tensor input when it is only known at run time (inside a trace).
"""

from __future__ import annotations

import numpy as np

from fuseflow.core import dtypes, random_state
from fuseflow.core.api import export
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.ops._helpers import FLOATS, INTS, check_dtype
from fuseflow.core.ops.creation import output_shape as _out_shape
from fuseflow.core.ops.creation import run_shape as _run_shape
from fuseflow.core.ops.creation import shape_operands as _shape_operands
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor

_RANDOM = dict(kind=OpKind.OPAQUE, pure=False, foldable=False)


def _number(value, op: str, what: str):
    """A Python number from a number or an eager scalar tensor; None for a symbolic one."""
    if isinstance(value, Tensor):
        if type(value) is not Tensor:
            return None
        value = value.numpy()
    try:
        return value.item() if isinstance(value, np.generic | np.ndarray) else value
    except ValueError:
        raise InvalidArgumentError(op, f"`{what}` must be a scalar, got {value!r}") from None


# -- uniform -------------------------------------------------------------------------------------

def _uniform_infer(*specs, shape, dtype, minval, maxval, seed) -> TensorSpec:
    if not (dtype.is_floating or dtype.is_integer):
        raise InvalidArgumentError("random_uniform", f"dtype {dtype.name} is not a number type")
    if dtype.is_integer and not minval < maxval:
        raise InvalidArgumentError("random_uniform_int",
                                   f"Need minval < maxval: {minval} >= {maxval}")
    return TensorSpec(_out_shape(specs, shape), dtype)


def _uniform_impl(*arrays, shape, dtype, minval, maxval, seed):
    rng = random_state.generator("random_uniform", seed)
    shape = _run_shape(arrays, shape)
    if dtype.is_integer:
        return rng.integers(minval, maxval, size=shape, dtype=dtype.np_dtype)
    out = rng.random(size=shape, dtype=np.float64 if dtype == dtypes.float64 else np.float32)
    if (minval, maxval) != (0.0, 1.0):
        out = out * (maxval - minval) + minval
    return out.astype(dtype.np_dtype, copy=False)


define_op("random_uniform", infer=_uniform_infer, impl=_uniform_impl, **_RANDOM)


@export("random.uniform")
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None) -> Tensor:
    """Uniform samples in [minval, maxval) (floats: maxval defaults to 1; ints need maxval)."""
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise InvalidArgumentError("random_uniform", f"dtype {dtype.name} is not a number type")
    if dtype.is_integer and maxval is None:
        raise ValueError(f"random.uniform: must specify maxval for integer dtype {dtype!r}")
    inputs, static = _shape_operands(shape, "random_uniform")
    low = _number(minval, "random_uniform", "minval")
    high = 1 if maxval is None else _number(maxval, "random_uniform", "maxval")
    seeds = random_state.op_seeds(seed)
    cast = int if dtype.is_integer else float
    if low is None or high is None:  # symbolic bounds: scale a [0, 1) draw with ops
        if dtype.is_integer:
            raise TypeError("random.uniform: integer bounds must be known when tracing")
        from fuseflow.core.ops.elementwise import add, multiply, subtract

        unit = bind("random_uniform", *inputs, shape=static, dtype=dtype, minval=0.0,
                    maxval=1.0, seed=seeds)
        low = convert_to_tensor(minval, dtype=dtype)
        return add(multiply(unit, subtract(convert_to_tensor(maxval, dtype=dtype), low)), low)
    return bind("random_uniform", *inputs, shape=static, dtype=dtype, minval=cast(low),
                maxval=cast(high), seed=seeds, name=name)


# -- normal and truncated normal --------------------------------------------------------------

def _normal_infer(*specs, shape, dtype, mean, stddev, seed) -> TensorSpec:
    if not dtype.is_floating:
        raise InvalidArgumentError("random_normal", f"dtype {dtype.name} is not a float type")
    return TensorSpec(_out_shape(specs, shape), dtype)


def _normal_impl(*arrays, shape, dtype, mean, stddev, seed):
    rng = random_state.generator("random_normal", seed)
    out = rng.standard_normal(size=_run_shape(arrays, shape),
                              dtype=np.float64 if dtype == dtypes.float64 else np.float32)
    return (out * stddev + mean).astype(dtype.np_dtype, copy=False)


def _truncated_impl(*arrays, shape, dtype, mean, stddev, seed):
    rng = random_state.generator("truncated_normal", seed)
    out = rng.standard_normal(size=_run_shape(arrays, shape))
    bad = np.abs(out) > 2.0
    while bad.any():  # redraw values beyond two standard deviations, as TF does
        out[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return (out * stddev + mean).astype(dtype.np_dtype, copy=False)


define_op("random_normal", infer=_normal_infer, impl=_normal_impl, **_RANDOM)
define_op("truncated_normal", infer=_normal_infer, impl=_truncated_impl, **_RANDOM)


def _normal(op: str, shape, mean, stddev, dtype, seed, name) -> Tensor:
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise InvalidArgumentError(op, f"dtype {dtype.name} is not a float type")
    inputs, static = _shape_operands(shape, op)
    m, s = _number(mean, op, "mean"), _number(stddev, op, "stddev")
    seeds = random_state.op_seeds(seed)
    if m is None or s is None:  # symbolic moments: scale a standard draw with ops
        from fuseflow.core.ops.elementwise import add, multiply

        unit = bind(op, *inputs, shape=static, dtype=dtype, mean=0.0, stddev=1.0, seed=seeds)
        return add(multiply(unit, convert_to_tensor(stddev, dtype=dtype)),
                   convert_to_tensor(mean, dtype=dtype))
    return bind(op, *inputs, shape=static, dtype=dtype, mean=float(m), stddev=float(s),
                seed=seeds, name=name)


@export("random.normal")
def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Tensor:
    """Samples from a normal distribution with `mean` and `stddev`."""
    return _normal("random_normal", shape, mean, stddev, dtype, seed, name)


@export("random.truncated_normal")
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
                     name=None) -> Tensor:
    """Normal samples, redrawn when more than two standard deviations from the mean."""
    return _normal("truncated_normal", shape, mean, stddev, dtype, seed, name)


# -- categorical and shuffle ---------------------------------------------------------------------

def _categorical_infer(logits: TensorSpec, *, num_samples, dtype, seed) -> TensorSpec:
    check_dtype("categorical", logits, FLOATS, "logits")
    if logits.rank != 2:
        raise InvalidArgumentError("categorical", f"logits should be a matrix [batch, classes], "
                                   f"got shape {list(logits.shape)}")
    if dtype.name not in INTS:
        raise InvalidArgumentError("categorical", f"output dtype must be an integer type, got "
                                   f"{dtype.name}")
    return TensorSpec((logits.shape[0], num_samples), dtype)


def _categorical_impl(logits, *, num_samples, dtype, seed):
    rng = random_state.generator("categorical", seed)
    # Gumbel-max: argmax(logits + Gumbel noise) draws class k with probability softmax(logits)_k.
    batch, classes = logits.shape
    noise = rng.gumbel(size=(batch, num_samples, classes))
    scores = logits.astype(np.float64)[:, None, :] + noise
    return np.argmax(scores, axis=-1).astype(dtype.np_dtype)


define_op("categorical", infer=_categorical_infer, impl=_categorical_impl, **_RANDOM)


@export("random.categorical")
def categorical(logits, num_samples: int, dtype=None, seed=None, name=None) -> Tensor:
    """Draw `num_samples` class indices per row of `logits` (unnormalized log-probabilities)."""
    x = convert_to_tensor(logits)
    out = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return bind("categorical", x, num_samples=int(num_samples), dtype=out,
                seed=random_state.op_seeds(seed), name=name)


def _shuffle_infer(x: TensorSpec, *, seed) -> TensorSpec:
    if x.rank == 0:
        raise InvalidArgumentError("random_shuffle", "cannot shuffle a scalar")
    return x


define_op("random_shuffle", infer=_shuffle_infer,
          impl=lambda x, *, seed: random_state.generator("random_shuffle", seed).permutation(x),
          **_RANDOM)


@export("random.shuffle")
def shuffle(value, seed=None, name=None) -> Tensor:
    """Randomly shuffle `value` along its first axis."""
    return bind("random_shuffle", convert_to_tensor(value), seed=random_state.op_seeds(seed),
                name=name)
