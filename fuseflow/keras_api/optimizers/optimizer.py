"""The optimizer base: variables, learning rate, clipping, weight decay, `apply_gradients`.

Subclasses follow Keras 3: `build(var_list)` creates slot variables with
`add_variable_from_reference`, and `update_step(gradient, variable, learning_rate)` writes them
with `assign*`. Every update is written with ops, so it lands inside a traced training step.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from fuseflow.core import context
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.core.variable import Variable
from fuseflow.keras_api.backend import ff, to_snake_case
from fuseflow.keras_api.optimizers import schedules


def _make_variable(value: np.ndarray, name: str) -> Variable:
    # Eager scope: slots may be created during a function's first trace; they must hold
    # concrete values and outlive the trace.
    with context.eager_scope():
        return Variable(value, trainable=False, name=name)


class Optimizer:
    """Base class of Keras optimizers (Keras 3 update rules)."""

    def __init__(self, learning_rate=0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None, **kwargs):
        learning_rate = kwargs.pop("lr", learning_rate)  # tf.keras 2 spelling
        for ignored in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "jit_compile",
                        "is_legacy_optimizer", "loss_scale_factor",
                        "gradient_accumulation_steps"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{type(self).__name__}: only one of `clipnorm` and "
                             f"`global_clipnorm` can be set; received clipnorm={clipnorm}, "
                             f"global_clipnorm={global_clipnorm}")
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay)):
            if value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError(f"{type(self).__name__}: `{arg}` must be a non-negative "
                                 f"number, received {value!r}")
        self.name = name or to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.built = False
        self._variables: list[Variable] = []
        self._var_index: dict[int, int] = {}
        self._exclude_ids: set[int] = set()
        self._exclude_names: list[str] = []
        self._iterations = _make_variable(np.int64(0), f"{self.name}/iteration")
        self._learning_rate = self._build_learning_rate(learning_rate)

    # -- learning rate and iterations ------------------------------------------------------
    def _build_learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, Variable | Tensor)):
            return learning_rate
        value = np.float32(np.asarray(learning_rate, dtype=np.float64))
        if value.ndim or not np.isfinite(value):
            raise ValueError(f"{type(self).__name__}: `learning_rate` must be a float, a "
                             f"LearningRateSchedule or a callable; received {learning_rate!r}")
        return _make_variable(value, f"{self.name}/learning_rate")

    @property
    def iterations(self) -> Variable:
        """How many updates this optimizer applied (an int64 Variable)."""
        return self._iterations

    @property
    def learning_rate(self):
        """The current learning rate: the Variable, or the schedule's value at `iterations`."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(float(np.asarray(value)))
        else:
            raise TypeError(f"{type(self).__name__} was created with a learning rate schedule "
                            f"({type(self._learning_rate).__name__}), so its learning rate "
                            "cannot be set to a number")

    lr = learning_rate  # tf.keras 2 alias

    def _current_learning_rate(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if callable(self._learning_rate) and not isinstance(self._learning_rate, Variable):
            return convert_to_tensor(self._learning_rate(), dtype_hint="float32")
        return self._learning_rate

    # -- variables -------------------------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        """Every optimizer Variable: iterations, the learning rate, then the slots."""
        lr = [self._learning_rate] if isinstance(self._learning_rate, Variable) else []
        return [self._iterations, *lr, *self._variables]

    def build(self, var_list) -> None:
        """Index the trainable variables; subclasses create their slots after this."""
        self._trainable_variables = list(var_list)
        self._var_index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, name: str | None = None):
        """Create an optimizer Variable of `shape` (zeros, ones or a constant)."""
        dtype = np.dtype(getattr(dtype, "np_dtype", dtype) or np.float32)
        if initializer == "zeros":
            value = np.zeros(tuple(shape), dtype)
        elif initializer == "ones":
            value = np.ones(tuple(shape), dtype)
        else:
            value = np.full(tuple(shape), float(initializer), dtype)
        variable = _make_variable(value, f"{self.name}/{name or 'variable'}")
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name: str,
                                    initializer="zeros") -> Variable:
        """A slot Variable with the shape and dtype of `reference_variable`."""
        base = reference_variable.name.split(":")[0].replace("/", "_")
        return self.add_variable(tuple(reference_variable.shape), initializer,
                                 reference_variable.dtype, f"{base}_{name}")

    def _get_variable_index(self, variable) -> int:
        index = self._var_index.get(id(variable))
        if index is None:
            raise ValueError(f"{type(self).__name__}: variable {variable.name!r} was not in the "
                             "var_list this optimizer was built with; build a new optimizer "
                             "for a new set of variables")
        return index

    def get_weights(self) -> list[np.ndarray]:
        """The values of `variables` as NumPy arrays."""
        return [np.array(v.numpy()) for v in self.variables]

    def set_weights(self, weights) -> None:
        """Assign `weights` to `variables`, in order."""
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(f"{type(self).__name__}.set_weights: expected {len(variables)} "
                             f"arrays, received {len(weights)}")
        for variable, value in zip(variables, weights):
            variable.assign(np.asarray(value, dtype=variable.dtype.np_dtype))

    # -- applying gradients ----------------------------------------------------------------
    def apply_gradients(self, grads_and_vars, name: str | None = None, **kwargs):
        """Apply one update per (gradient, variable) pair; pairs with a None gradient are
        skipped."""
        pairs = list(grads_and_vars)
        if not pairs:
            raise ValueError(f"{type(self).__name__}.apply_gradients: `grads_and_vars` is empty")
        kept = [(g, v) for g, v in pairs if g is not None]
        if not kept:
            raise ValueError(f"No gradients provided for any variable: "
                             f"{[v.name for _, v in pairs]}")
        if len(kept) < len(pairs):
            missing = [v.name for g, v in pairs if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss.", stacklevel=2)
        grads = [convert_to_tensor(g) for g, _ in kept]
        variables = [v for _, v in kept]
        return self.apply(grads, variables)

    def apply(self, grads, trainable_variables=None):
        """Apply `grads` to `trainable_variables` (Keras 3's entry point)."""
        variables = list(trainable_variables if trainable_variables is not None
                         else self._trainable_variables)
        if not self.built:
            self.build(variables if not self.built else self._trainable_variables)
        grads = self._clip_gradients([convert_to_tensor(g) for g in grads])
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate)
        self._update_variables(grads, variables, learning_rate)
        self._iterations.assign_add(np.int64(1))
        return self._iterations

    def _update_variables(self, grads, variables, learning_rate) -> None:
        for grad, variable in zip(grads, variables):
            lr = ff.cast(learning_rate, variable.dtype)
            self.update_step(ff.cast(grad, variable.dtype), variable, lr)

    def update_step(self, gradient, variable, learning_rate) -> None:
        """Write one variable's update (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step`")

    def minimize(self, loss, var_list, tape=None):
        """Compute the gradients of `loss` for `var_list` and apply them."""
        grads_and_vars = self.compute_gradients(loss, var_list, tape)
        return self.apply_gradients(grads_and_vars)

    def compute_gradients(self, loss, var_list, tape=None):
        """(gradient, variable) pairs of `loss` (a tensor with `tape`, or a callable)."""
        from fuseflow.core.tape import GradientTape

        if not callable(loss) and tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed; received "
                             f"loss={type(loss).__name__}, tape=None")
        if callable(loss):
            tape = tape or GradientTape()
            with tape:
                if callable(var_list):
                    var_list = var_list()
                tape.watch(list(var_list))
                loss = loss()
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return list(zip(grads, var_list))

    # -- clipping and weight decay ---------------------------------------------------------
    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm is not None:
            grads = [_scale_to_norm(g, _l2_squared(g), self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            total = _l2_squared(grads[0])
            for g in grads[1:]:
                total = total + ff.cast(_l2_squared(g), total.dtype)
            grads = [_scale_to_norm(g, ff.cast(total, g.dtype), self.global_clipnorm)
                     for g in grads]
        if self.clipvalue is not None:
            grads = [ff.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exclude variables (or variables whose names match any of `var_names`)."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be called before the "
                             "optimizer is built")
        self._exclude_ids |= {id(v) for v in var_list or []}
        self._exclude_names = list(var_names or [])

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        return not any(re.search(pattern, variable.name) for pattern in self._exclude_names)

    def _apply_weight_decay(self, variables, learning_rate) -> None:
        if not self.weight_decay:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                rate = ff.cast(learning_rate, variable.dtype) * self.weight_decay
                variable.assign_sub(variable * rate)

    # -- config ----------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments as a JSON-friendly dict."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Create an optimizer from `get_config()`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def power(base: float, exponent):
    """`base ** exponent` with the Python float `base` taken at `exponent`'s precision."""
    return ff.pow(convert_to_tensor(base, dtype=exponent.dtype), exponent)


def _l2_squared(g):
    return ff.reduce_sum(g * g)


def _scale_to_norm(g, squared_norm, clip: float):
    """`g * clip / max(norm, clip)`: unchanged when its norm is within `clip`."""
    norm = ff.sqrt(squared_norm)
    return g * (clip / ff.maximum(norm, clip))
