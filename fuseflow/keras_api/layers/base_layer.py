"""Layer: the base class of every Keras layer and model.

`build(input_shape)` creates weights with `add_weight` (lazily, on the first call), `call`
computes with fuseflow ops only (so it runs eagerly, traces, and shape-infers on KerasTensors),
`get_config` describes the layer so `from_config` can rebuild it.
"""

from __future__ import annotations

import math

import numpy as np

from fuseflow.core import context, nest
from fuseflow.core.dtypes import as_dtype
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.core.variable import Variable
from fuseflow.keras_api import backend, initializers, regularizers
from fuseflow.keras_api import constraints as constraints_module
from fuseflow.keras_api.layers import call_context, layer_utils, tracking
from fuseflow.keras_api.layers.input_spec import check_inputs
from fuseflow.keras_api.layers.keras_tensor import (
    KerasTensor,
    SymbolicContext,
    in_symbolic_call,
    is_symbolic,
)

_BASE_KWARGS = frozenset({"input_shape", "batch_input_shape", "batch_size", "input_dim",
                          "weights", "activity_regularizer", "autocast", "input_length"})


class Layer:
    """The base class of layers: state (weights) plus a computation from inputs to outputs."""

    _auto_name: str | None = None  # the base of automatic names; snake_case class name if None

    def __init__(self, trainable: bool = True, name: str | None = None, dtype=None,
                 dynamic: bool = False, **kwargs):
        unknown = set(kwargs) - _BASE_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}: keyword argument(s) not understood: "
                            f"{sorted(unknown)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string, received {name!r}")
        base = self._auto_name or backend.to_snake_case(type(self).__name__)
        self._name = name or backend.unique_object_name(base)
        self._trainable = bool(trainable)
        self._dtype = as_dtype(getattr(dtype, "name", dtype) or backend.floatx()).name
        self.dynamic = dynamic
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        self._own_weights: list[Variable] = []
        self._losses: list = []
        self._callable_losses: list = []
        self._inbound_nodes: list = []
        self._outbound_nodes: list = []
        self._build_input_shape = None
        self._batch_input_shape = layer_utils.batch_input_shape(kwargs)
        self._initial_weights = kwargs.get("weights")
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))

    def __setattr__(self, name: str, value) -> None:
        if name not in tracking.NOT_TRACKED and tracking.may_hold_state(value):
            tracked = self.__dict__.get("_tracked")
            if tracked is None:
                tracked = {}
                object.__setattr__(self, "_tracked", tracked)
            tracked[name] = None
        object.__setattr__(self, name, value)

    # -- properties --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights and computations, e.g. 'float32'."""
        return self._dtype

    compute_dtype = variable_dtype = dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    # -- the computation ---------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the layer's weights for inputs of `input_shape`."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; the base layer returns its inputs."""
        return inputs

    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise ValueError(f'Layer "{self.name}": the first argument to `__call__` (the '
                             "inputs) is missing.")
        names, var_kw, _ = call_context.call_signature(type(self))
        if "mask" in kwargs and "mask" not in names and not var_kw:
            kwargs.pop("mask")
        if not in_symbolic_call() and is_symbolic([inputs, args, kwargs]):
            return self._call_symbolic(inputs, args, kwargs)
        inputs = self._convert_inputs(inputs)
        if not self.built:  # a rank the layer cannot take must not reach `build`
            check_inputs(self.input_spec, inputs, self.name)
            self._maybe_build(inputs)
        check_inputs(self.input_spec, inputs, self.name)
        if call_context.depth() == 0:
            for layer in self._flatten_layers():
                layer._losses.clear()
        training = call_context.resolve_training(type(self), kwargs)
        with call_context.entered(training):
            outputs = self.call(inputs, *args, **kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        return outputs

    def _call_symbolic(self, inputs, args: tuple, kwargs: dict):
        """Call on KerasTensors: infer the outputs and record a Node of the functional graph."""
        from fuseflow.keras_api.layers.node import Node

        user_kwargs = dict(kwargs)
        inputs = self._convert_inputs(inputs)
        if not self.built:  # a rank the layer cannot take must not reach `build`
            check_inputs(self.input_spec, inputs, self.name)
            self._maybe_build(inputs)
        check_inputs(self.input_spec, inputs, self.name)
        with context.pushed(SymbolicContext()):
            raw = self._symbolic_outputs(inputs, args, kwargs)
        outputs = nest.map_structure(
            lambda t: KerasTensor(t.spec, label=self.name) if isinstance(t, Tensor) else t, raw)
        for layer in self._flatten_layers():
            layer._losses.clear()  # losses of a shape-inference pass are not real values
        Node(self, (inputs, *args), user_kwargs, outputs)
        return outputs

    def _symbolic_outputs(self, inputs, args: tuple, kwargs: dict):
        """The outputs of `call` on KerasTensors (layers that cannot trace override this)."""
        if self.dynamic:
            shapes = layer_utils.as_shape_structure(
                self.compute_output_shape(layer_utils.shapes_of(inputs)))
            if isinstance(shapes, list):
                return [KerasTensor(layer_utils.spec(s, self.dtype)) for s in shapes]
            return KerasTensor(layer_utils.spec(shapes, self.dtype))
        training = call_context.resolve_training(type(self), kwargs)
        with call_context.entered(training):
            return self.call(inputs, *args, **kwargs)

    def _convert_inputs(self, inputs):
        """NumPy and Python inputs become tensors; floating inputs take the layer's dtype."""
        def convert(x):
            if isinstance(x, np.ndarray | np.generic | float | int | list):
                x = convert_to_tensor(np.asarray(x))
            if isinstance(x, Variable):
                x = x.read_value()
            if isinstance(x, Tensor) and x.dtype.is_floating and x.dtype.name != self._dtype \
                    and as_dtype(self._dtype).is_floating:
                from fuseflow.core.ops.elementwise import cast

                x = cast(x, self._dtype)
            return x

        if isinstance(inputs, list | tuple | dict):
            return nest.map_structure(convert, inputs)
        return convert(inputs)

    def _maybe_build(self, inputs) -> None:
        if self.built:
            return
        with context.eager_scope():
            self.build(layer_utils.shapes_of(inputs))
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`, found by running `call` on symbolic inputs."""
        def placeholder(shape):
            return KerasTensor(layer_utils.spec(shape, self.dtype))

        shapes = layer_utils.as_shape_structure(input_shape)
        inputs = nest.map_structure(placeholder, shapes) if isinstance(shapes, list) \
            else placeholder(shapes)
        self._maybe_build(inputs)
        with context.pushed(SymbolicContext()):
            outputs = self.call(inputs)
        return nest.map_structure(lambda t: tuple(t.shape), outputs)

    # -- weights -----------------------------------------------------------------------------
    def add_weight(self, name: str | None = None, shape=None, dtype=None, initializer=None,
                   regularizer=None, trainable: bool | None = None, constraint=None,
                   **kwargs) -> Variable:
        """Create a weight variable of this layer, tracked in `weights`."""
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = as_dtype(getattr(dtype, "name", dtype) or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers.get(initializer)
        name = name or f"weight_{len(self._own_weights)}"
        with context.eager_scope():
            variable = Variable(lambda: init(shape, dtype=dtype),
                                trainable=True if trainable is None else bool(trainable),
                                name=f"{self.name}/{name}", dtype=dtype)
        variable.constraint = constraints_module.get(constraint)
        self._own_weights.append(variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._callable_losses.append(lambda: regularizer(variable))
        return variable

    def _own_variables(self) -> list[Variable]:
        found = [v for v in tracking.tracked_leaves(self) if isinstance(v, Variable)]
        return tracking.dedup(self._own_weights + found)

    def _children(self) -> list[Layer]:
        return tracking.dedup([x for x in tracking.tracked_leaves(self)
                               if isinstance(x, Layer) and x is not self])

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list[Layer]:
        """This layer and its sublayers, depth first, each once."""
        out, seen = ([self] if include_self else []), {id(self)}
        pending = list(reversed(self._children()))
        while pending:
            layer = pending.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            if recursive:
                pending.extend(reversed(layer._children()))
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        own = [v for v in self._own_variables() if v.trainable]
        nested = [v for child in self._children() for v in child.trainable_weights]
        return tracking.dedup(own + nested)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return tracking.dedup(self._own_variables()
                                  + [v for c in self._children() for v in c.weights])
        own = [v for v in self._own_variables() if not v.trainable]
        nested = [v for child in self._children() for v in child.non_trainable_weights]
        return tracking.dedup(own + nested)

    @property
    def weights(self) -> list[Variable]:
        return tracking.dedup(self.trainable_weights + self.non_trainable_weights)

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """The values of `weights` as NumPy arrays."""
        return [np.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights) -> None:
        """Assign NumPy arrays to `weights`, in order; counts and shapes must match."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(f'You called `set_weights(weights)` on layer "{self.name}" with a '
                             f"weight list of length {len(weights)}, but the layer was expecting "
                             f"{len(params)} weights.")
        for variable, value in zip(params, weights):
            value = np.asarray(value)
            if tuple(variable.shape) != value.shape:
                raise ValueError(f"Layer {self.name} weight shape {tuple(variable.shape)} is not "
                                 f"compatible with provided weight shape {value.shape}.")
            variable.assign(value.astype(variable.dtype.np_dtype))

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer {self.name}, but the "
                             f"layer isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(math.prod(v.shape) for v in self.weights))

    # -- losses ------------------------------------------------------------------------------
    def add_loss(self, losses, **kwargs) -> None:
        """Add loss tensors (or zero-argument callables) to `losses`."""
        for loss in nest.flatten(losses):
            if callable(loss) and not isinstance(loss, Tensor):
                self._callable_losses.append(loss)
            elif isinstance(loss, KerasTensor):
                if not in_symbolic_call():
                    raise ValueError(f'Layer "{self.name}": add_loss on a symbolic KerasTensor is '
                                     "not supported; add the loss inside a layer's `call`.")
            else:
                self._losses.append(convert_to_tensor(loss))

    def _add_activity_loss(self, outputs) -> None:
        for out in nest.flatten(outputs):
            if isinstance(out, Tensor) and not isinstance(out, KerasTensor):
                from fuseflow.core.ops.elementwise import cast, divide
                from fuseflow.core.ops.movement import shape as shape_of

                batch = cast(shape_of(out)[0], out.dtype) if out.ndim else 1.0
                self.add_loss(divide(self.activity_regularizer(out), batch))

    @property
    def losses(self) -> list:
        """Losses added during the last call, plus weight regularization penalties."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._losses)
            out.extend(fn() for fn in layer._callable_losses)
        return out

    # -- graph connectivity --------------------------------------------------------------------
    def _single_node_value(self, what: str):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name!r} has never been called and thus has "
                                 f"no defined {what}.")
        values = [layer_utils.node_value(node, what) for node in self._inbound_nodes]
        if any(v != values[0] for v in values[1:]):
            raise AttributeError(f"The layer {self.name!r} has multiple inbound nodes with "
                                 f"different {what}s; use `get_{what}_at(node_index)`.")
        return values[0]

    @property
    def output_shape(self):
        return self._single_node_value("output_shape")

    @property
    def input_shape(self):
        return self._single_node_value("input_shape")

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self._inbound_nodes[0].outputs

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no input to return.")
        node = self._inbound_nodes[0]
        return node.call_args[0] if node.call_args else None

    # -- config --------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments that rebuild this layer (without its weights)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config:
            extra = layer_utils.extra_init_args(type(self))
            if extra:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has arguments {extra} in `__init__` and "
                    "therefore must override `get_config()`.")
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """Create a layer from the dict `get_config` returned."""
        return cls(**config)
