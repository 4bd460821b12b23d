"""The `training` flag of the calls in progress, so sublayers called without it inherit it."""

from __future__ import annotations

import contextlib
import functools
import inspect

_stack: list = []  # the effective `training` value of each layer call in progress


def current_training():
    """`training` of the innermost call in progress (None outside any call)."""
    return _stack[-1] if _stack else None


def depth() -> int:
    """How many layer calls are in progress (0: the next call is a top-level call)."""
    return len(_stack)


@contextlib.contextmanager
def entered(training):
    """Run a layer call with `training` as the value sublayers inherit."""
    _stack.append(training)
    try:
        yield
    finally:
        _stack.pop()


@functools.cache
def call_signature(cls: type) -> tuple[frozenset[str], bool, object]:
    """(parameter names of `cls.call`, whether it takes **kwargs, default of `training`)."""
    params = inspect.signature(cls.call).parameters
    names = frozenset(params)
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    training = params.get("training")
    default = None if training is None or training.default is inspect.Parameter.empty \
        else training.default
    return names, var_kw, default


def resolve_training(cls: type, kwargs: dict):
    """Put the inherited `training` into `kwargs` when `call` takes it; return the effective value.

    Order: an explicit `training=` argument, then the enclosing call's value, then the default
    in `call`'s signature.
    """
    names, _, default = call_signature(cls)
    if "training" not in names:
        return current_training()
    explicit = kwargs.get("training")
    if explicit is not None:
        return _as_bool(explicit)
    inherited = current_training()
    if inherited is not None:
        kwargs["training"] = inherited
        return inherited
    return default


def _as_bool(value):
    from fuseflow.core.tensor import Tensor

    if isinstance(value, Tensor) and type(value) is Tensor:
        return bool(value.numpy())
    return value
