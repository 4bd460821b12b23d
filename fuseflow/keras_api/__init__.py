"""`fuseflow.keras`: the Keras API (layers, models, training) on fuseflow ops.

`layers`, `models`, `Model`, `Sequential`, `Input`, `activations`, `initializers`,
`regularizers`, `constraints` and `backend` load with the package; `optimizers`, `losses`,
`metrics`, `callbacks`, `utils` and `datasets` load on first use.
"""

from __future__ import annotations

import importlib

from fuseflow.keras_api import (
    activations,
    backend,
    constraints,
    initializers,
    layers,
    models,
    regularizers,
)
from fuseflow.keras_api.layers import Input, InputLayer
from fuseflow.keras_api.models import Model, Sequential

_LAZY = ("optimizers", "losses", "metrics", "callbacks", "utils", "datasets", "training",
         "mixed_precision")


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"fuseflow.keras_api.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'fuseflow.keras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
