"""fuseflow: a TensorFlow-2-style deep learning framework that traces and compiles Python.

`import fuseflow as tf` runs TensorFlow 2 code wherever the APIs overlap.
"""

from __future__ import annotations

__version__ = "0.1.0"

# -- core: dtypes, shapes, tensors, variables, every op, tapes ----------------------------------
from fuseflow.core import ops as _ops  # registers every op
from fuseflow.core.api import members as _members
from fuseflow.core.context import executing_eagerly
from fuseflow.core.device import device
from fuseflow.core.dtypes import (
    DType,
    as_dtype,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
)
from fuseflow.core.dtypes import (
    bool_ as bool,
)
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.core.tape import GradientTape, UnconnectedGradients, custom_gradient
from fuseflow.core.tensor import Tensor, constant, convert_to_tensor, is_tensor
from fuseflow.core.variable import Variable

globals().update(_members(""))

# The namespaces and floors above core. Order matters only for `keras`, which must come after
# `_aliases.install()` so `fuseflow.keras.*` resolves to `fuseflow.keras_api.*`.
from fuseflow import _aliases, config, errors, linalg, math, nn, random, test  # noqa: E402
from fuseflow import runtime as _runtime  # noqa: E402,F401  (installs the graph executors)
from fuseflow.core import nest  # noqa: E402
from fuseflow.graph import ConcreteFunction, Function, function  # noqa: E402
from fuseflow.graph.control_flow import cond, while_loop  # noqa: E402
from fuseflow.graph.effects import print, py_function  # noqa: E402

_aliases.install()
from fuseflow import data, keras  # noqa: E402, I001
from fuseflow import profiler, saved_model, summary, train  # noqa: E402
