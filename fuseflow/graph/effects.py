"""Side-effect ops: `fuseflow.print` (prints on every call) and `fuseflow.py_function`."""

from __future__ import annotations

import builtins
import sys

import numpy as np

from fuseflow.core import context, dtypes
from fuseflow.core.context import bind
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor, wrap


def _format(value: np.ndarray, summarize: int) -> str:
    if value.ndim == 0:
        item = value[()]
        return item.decode() if isinstance(item, bytes) else str(item)
    threshold = sys.maxsize if summarize is None or summarize < 0 else 2 * summarize
    edge = 3 if summarize is None or summarize < 0 else summarize
    return np.array2string(value, threshold=threshold, edgeitems=edge, separator=" ")


def _print_impl(*arrays, template, sep, end, stream, summarize):
    values = iter(arrays)
    parts = [_format(next(values), summarize) if piece is None else piece for piece in template]
    builtins.print(sep.join(parts), end=end, file=sys.stdout if stream == "stdout" else sys.stderr)
    return ()


define_op("print", kind=OpKind.OPAQUE, infer=lambda *specs, **attrs: (), impl=_print_impl,
          pure=False, foldable=False)


def print(*inputs, output_stream=None, summarize: int = 3, sep: str = " ", end: str = "\n",
          name: str | None = None):  # noqa: A001  (TF's name)
    """Print tensors and Python values, on every call of a traced function (like `tf.print`).

    Python's `print` inside a traced function runs once, at trace time; this one is a graph
    node that runs each time the graph runs. Output goes to stderr unless
    `output_stream=sys.stdout`.
    """
    template, tensors = [], []
    for value in inputs:
        if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
            template.append(None)
            tensors.append(convert_to_tensor(value))
        else:
            template.append(str(value))
    stream = "stdout" if output_stream is sys.stdout or output_stream == "stdout" else "stderr"
    bind("print", *tensors, name=name, template=tuple(template), sep=str(sep), end=str(end),
         stream=stream, summarize=None if summarize is None else int(summarize))


def _py_infer(*specs: TensorSpec, func, Tout, single, shapes):  # noqa: N803  (TF's name)
    out = tuple(TensorSpec(shape, dtype) for dtype, shape in zip(Tout, shapes))
    return out[0] if single else out


def _py_impl(*arrays, func, Tout, single, shapes):  # noqa: N803
    with context.eager_scope():
        result = func(*(wrap(a) for a in arrays))
    results = [result] if single else list(result)
    out = tuple(convert_to_tensor(r, dtype=d)._value for r, d in zip(results, Tout))
    return out[0] if single else out


define_op("py_function", kind=OpKind.OPAQUE, infer=_py_infer, impl=_py_impl, pure=False,
          foldable=False)


def _output_shapes(Tout, tensors: list) -> tuple:  # noqa: N803
    """Static shapes of the outputs: from TensorSpecs in `Tout`, else unknown dims of the first
    input's rank (refine with `set_shape`)."""
    rank = tensors[0].ndim if tensors else 0
    return tuple(t.shape if isinstance(t, TensorSpec) else (None,) * rank for t in Tout)


def py_function(func, inp, Tout, name: str | None = None):  # noqa: N803
    """Run the Python callable `func` on tensors, on every call of a traced function.

    `Tout` is a dtype (one output) or a list of dtypes; a TensorSpec there also fixes the
    output's static shape in a traced graph.
    """
    single = not isinstance(Tout, list | tuple)
    touts = [Tout] if single else list(Tout)
    tensors = [convert_to_tensor(x) for x in inp]
    dts = tuple(t.dtype if isinstance(t, TensorSpec) else dtypes.as_dtype(t) for t in touts)
    if context.executing_eagerly():
        result = func(*tensors)
        results = [result] if single else list(result)
        out = [convert_to_tensor(r, dtype=d) for r, d in zip(results, dts)]
        return out[0] if single else out
    out = bind("py_function", *tensors, name=name, func=func, Tout=dts, single=single,
               shapes=_output_shapes(touts, tensors))
    return out if single else list(out)
