"""Lambda: wrap a function of tensors as a layer."""

from __future__ import annotations

import inspect

from fuseflow.keras_api.layers.base_layer import Layer


class Lambda(Layer):
    """Call `function(inputs, **arguments)`; it must use fuseflow ops only."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable, received {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self._takes_training = "training" in inspect.signature(function).parameters

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        return (tuple(input_shape)[0], *self._output_shape)

    def get_config(self) -> dict:
        name = getattr(self.function, "__name__", None)
        if name is None or name == "<lambda>":
            raise NotImplementedError(f'Lambda layer "{self.name}": a lambda or closure cannot '
                                      "be serialized; pass a named module-level function "
                                      "(and `custom_objects` when loading).")
        return {**super().get_config(), "function": name, "arguments": self.arguments,
                "output_shape": self._output_shape}

    @classmethod
    def from_config(cls, config: dict) -> Lambda:
        from fuseflow.keras_api.layers.serialization import get_class

        config = dict(config)
        if isinstance(config["function"], str):
            config["function"] = get_class(config["function"])
        return cls(**config)
