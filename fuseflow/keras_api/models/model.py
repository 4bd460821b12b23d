"""Model: a Layer that can be trained; functional (inputs/outputs) or subclassed.

`Model(inputs, outputs)` builds a graph of layers from KerasTensors (a `Functional`); a subclass
defines `call` itself. Training (compile/fit/evaluate/predict) comes from `Trainer`.
"""

from __future__ import annotations

from fuseflow.core import context, nest
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.keras_api.layers import tracking
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.input_spec import InputSpec, check_input
from fuseflow.keras_api.layers.keras_tensor import KerasTensor, SymbolicContext
from fuseflow.keras_api.layers.layer_utils import extra_init_args
from fuseflow.keras_api.models import graph_network
from fuseflow.keras_api.training.trainer import Trainer


def _functional_args(args: tuple, kwargs: dict) -> bool:
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


class Model(Trainer, Layer):
    """A trainable group of layers: `Model(inputs, outputs)` or a subclass with `call`."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_args(args, kwargs):
            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        graph = _functional_args(args, kwargs)
        if graph:
            inputs = args[0] if args else kwargs.pop("inputs")
            outputs = args[1] if len(args) > 1 else kwargs.pop("outputs")
            kwargs = {k: kwargs[k] for k in ("name", "trainable") if k in kwargs}
        elif args:
            raise TypeError(f"{type(self).__name__}: unexpected positional arguments {args}")
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)
        self.stop_training = False
        self._is_graph_network = False
        if graph:
            self._init_graph_network(inputs, outputs)

    # -- functional graph ----------------------------------------------------------------------
    def _init_graph_network(self, inputs, outputs) -> None:
        if isinstance(inputs, list) and len(nest.flatten(inputs)) == 1:
            inputs = inputs[0]
        if isinstance(outputs, list) and len(nest.flatten(outputs)) == 1:
            outputs = outputs[0]
        for what, value in (("inputs", inputs), ("outputs", outputs)):
            for tensor in nest.flatten(value):
                if not isinstance(tensor, KerasTensor) or tensor._keras_history is None:
                    raise ValueError(f"Model: all {what} must be KerasTensors made by "
                                     f"`Input()` and layers; received {tensor!r}")
        for tensor in nest.flatten(inputs):
            if not tensor.node.is_input:
                raise ValueError(f"Model: inputs must come from `Input()`; {tensor!r} was made "
                                 f"by layer {tensor._keras_history[0].name!r}")
        self._nested_inputs, self._nested_outputs = inputs, outputs
        self.inputs, self.outputs = nest.flatten(inputs), nest.flatten(outputs)
        network = graph_network.map_graph(self.inputs, self.outputs)
        self._network = network
        self._nodes_by_depth = network.nodes_by_depth
        self._graph_layers = list(network.layers)
        self._input_layers = [t._keras_history[0] for t in self.inputs]
        self._output_layers = [t._keras_history[0] for t in self.outputs]
        if isinstance(inputs, dict):
            self.input_names = sorted(inputs)
        else:
            self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._input_specs = [InputSpec(shape=tuple(t.shape)) for t in self.inputs]
        self._is_graph_network = True
        self.built = True

    def _graph_values(self, inputs) -> list:
        """The call's inputs in the order of `self.inputs`, shape-checked."""
        if isinstance(inputs, dict) and not isinstance(self._nested_inputs, dict) \
                and len(self.inputs) > 1:
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f'Model "{self.name}": missing data for input(s) {missing}; '
                                 f"expected keys {self.input_names}, received {sorted(inputs)}")
            values = [inputs[n] for n in self.input_names]
        else:
            values = nest.flatten(inputs)
        if len(values) != len(self.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it '
                             f"received {len(values)} input tensors.")
        for i, (spec, value) in enumerate(zip(self._input_specs, values)):
            check_input(spec, value, i, self.name)
        return values

    def _run_graph(self, inputs):
        values = self._graph_values(inputs)
        return graph_network.run_graph(self._network, self.inputs, values, self._nested_outputs)

    # -- calling -------------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        """Run the functional graph; subclasses override this with their own computation."""
        if self._is_graph_network:
            return self._run_graph(inputs)
        raise NotImplementedError(f"Model {type(self).__name__} must implement `call`.")

    def _maybe_build(self, inputs) -> None:
        if self.built:
            return
        if not self._is_graph_network:  # saving needs the input specs of a subclassed model
            from fuseflow.keras_api.saving.model_config import record_input_specs

            record_input_specs(self, inputs)
        if type(self).build is not Model.build:  # a subclass that creates its own weights
            Layer._maybe_build(self, inputs)
        self.built = True

    def build(self, input_shape) -> None:
        """Create the weights by calling the model on symbolic inputs of `input_shape`."""
        if self._is_graph_network:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("Input shape must be defined when calling `build()` on a "
                             "`Model` subclass.")
        inputs = _placeholders(input_shape, self.dtype)
        from fuseflow.keras_api.saving.model_config import record_input_specs

        record_input_specs(self, inputs)
        with context.pushed(SymbolicContext()):
            kwargs = {"training": False} if "training" in _call_args(type(self)) else {}
            self.call(inputs, **kwargs)
        self._build_input_shape = input_shape
        self.built = True

    # -- layers and weights ----------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """The model's direct sublayers (functional: in graph order, inputs first)."""
        return self._children()

    def _children(self) -> list[Layer]:
        graph = self.__dict__.get("_graph_layers", [])
        return tracking.dedup(list(graph) + Layer._children(self))

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A sublayer by `name` or by `index` into `layers`."""
        layers = self.layers
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        if name is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}.")

    @property
    def weights(self) -> list:
        """Each layer's variables in layer order, then the model's own."""
        nested = [v for layer in self._children() for v in layer.weights]
        return tracking.dedup(nested + self._own_variables())

    @property
    def variables(self) -> list:
        return self.weights

    @property
    def input_shape(self):
        if self._is_graph_network:
            shapes = [tuple(t.shape) for t in self.inputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        if self._is_graph_network:
            shapes = [tuple(t.shape) for t in self.outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return Layer.output_shape.fget(self)

    # -- text and config -------------------------------------------------------------------------
    def summary(self, line_length: int | None = None, positions=None, print_fn=None,
                expand_nested: bool = False, show_trainable: bool = False) -> None:
        """Print the layer table (`Layer (type)  Output Shape  Param #`) and parameter counts."""
        from fuseflow.keras_api.models.summary import print_summary

        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def get_config(self) -> dict:
        if self._is_graph_network and not extra_init_args(type(self)):
            from fuseflow.keras_api.models.functional_config import functional_config

            return functional_config(self)
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Model:
        if "layers" in config and "output_layers" in config:
            from fuseflow.keras_api.models.functional_config import from_functional_config

            return from_functional_config(cls if cls is not Model else Functional, config,
                                          custom_objects)
        return cls(**config)

    def to_json(self, **kwargs) -> str:
        """The model's architecture as JSON text (`models.model_from_json` reads it back)."""
        import json

        from fuseflow.keras_api.layers.serialization import json_default, serialize

        return json.dumps(serialize(self), default=json_default, **kwargs)

    def get_build_config(self) -> dict | None:
        """The input specs that recreate the variables (`build_from_config` replays them)."""
        from fuseflow.keras_api.saving.model_config import get_build_config

        return get_build_config(self)

    def build_from_config(self, config: dict | None) -> None:
        """Create the variables from `get_build_config()`'s output."""
        from fuseflow.keras_api.saving.model_config import build_from_config

        build_from_config(self, config)

    # -- saving ----------------------------------------------------------------------------------
    def save(self, filepath, overwrite: bool = True, save_format: str | None = None,
             **kwargs) -> None:
        """Save the whole model: `.keras` zip, `.h5`, or a SavedModel directory (see
        `keras.models.save_model`)."""
        from fuseflow.keras_api.saving import save_model

        save_model(self, filepath, overwrite=overwrite, save_format=save_format, **kwargs)

    def save_weights(self, filepath, overwrite: bool = True, save_format: str | None = None,
                     options=None) -> None:
        """Save the weights: `.weights.npz`, `.h5`, or a checkpoint prefix (TF layout)."""
        from fuseflow.keras_api.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, save_format=save_format)

    def load_weights(self, filepath, skip_mismatch: bool = False, by_name: bool = False,
                     options=None):
        """Load weights saved by `save_weights`, matched by the model's structure."""
        from fuseflow.keras_api.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)


class Functional(Model):
    """A model defined by a graph of layers from `Input`s to outputs."""

    _auto_name = "model"


def _placeholders(input_shape, dtype):
    def make(shape):
        return KerasTensor(TensorSpec(tuple(TensorShape(shape)), dtype))

    if isinstance(input_shape, dict):
        return {k: make(v) for k, v in input_shape.items()}
    if isinstance(input_shape, list) and input_shape and not isinstance(input_shape[0], int) \
            and input_shape[0] is not None:
        return [make(s) for s in input_shape]
    return make(input_shape)


def _call_args(cls: type) -> frozenset[str]:
    from fuseflow.keras_api.layers.call_context import call_signature

    return call_signature(cls)[0]
