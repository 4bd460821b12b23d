"""InputLayer and `Input()`: the entry points of a functional model."""

from __future__ import annotations

from fuseflow.core.dtypes import as_dtype
from fuseflow.core.shape import TensorSpec
from fuseflow.keras_api import backend
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.keras_tensor import KerasTensor
from fuseflow.keras_api.layers.node import Node


class InputLayer(Layer):
    """The layer that holds a model's symbolic input tensor."""

    def __init__(self, input_shape=None, batch_size: int | None = None, dtype=None,
                 input_tensor=None, sparse=None, name: str | None = None, ragged=None,
                 type_spec=None, **kwargs):
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("batch_shape", None)
        if kwargs:
            raise TypeError(f"InputLayer: keyword argument(s) not understood: {sorted(kwargs)}")
        if sparse or ragged:
            raise ValueError("InputLayer: sparse and ragged inputs are not supported")
        if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
            raise ValueError(f"InputLayer: `input_tensor` must be a KerasTensor, received "
                             f"{type(input_tensor).__name__}")
        dtype = dtype or (input_tensor.dtype.name if input_tensor is not None else None)
        super().__init__(name=name or backend.unique_object_name("input", zero_based=False),
                         dtype=dtype or backend.floatx())
        if input_tensor is not None:
            shape = tuple(input_tensor.shape)
        elif batch_input_shape is not None:
            shape = tuple(batch_input_shape)
        elif input_shape is not None:
            input_shape = (input_shape,) if isinstance(input_shape, int) else input_shape
            shape = (batch_size, *tuple(input_shape))
        else:
            raise ValueError("Please provide to Input a `shape` or a `tensor` argument. Note "
                             "that `shape` does not include the batch dimension.")
        self._batch_input_shape = tuple(None if d is None else int(d) for d in shape)
        self.built = True
        tensor = KerasTensor(TensorSpec(self._batch_input_shape, as_dtype(self.dtype)),
                             label=self.name)
        Node(self, (), {}, tensor)

    @property
    def output_shape(self):
        return [self._batch_input_shape]  # a list, as tf.keras 2 shows it in summaries

    def get_config(self) -> dict:
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype,
                "sparse": False, "ragged": False, "name": self.name}


def Input(shape=None, batch_size: int | None = None, name: str | None = None, dtype=None,
          sparse=None, tensor=None, ragged=None, type_spec=None, **kwargs) -> KerasTensor:
    """A symbolic input of a functional model: `Input(shape=(784,))` has shape (None, 784).

    Args:
        shape: the shape of one sample (no batch dimension); dims may be None.
        batch_size: a fixed batch size, None (any) by default.
        name: the input layer's name (`input_1`, `input_2`, ... by default).
        dtype: the input dtype, float32 by default.
    """
    batch_shape = kwargs.pop("batch_shape", None) or kwargs.pop("batch_input_shape", None)
    if kwargs:
        raise TypeError(f"Input: keyword argument(s) not understood: {sorted(kwargs)}")
    if shape is not None and batch_shape is not None:
        raise ValueError("Input: only provide the `shape` OR `batch_shape` argument, not both")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       sparse=sparse, ragged=ragged, input_tensor=tensor,
                       batch_input_shape=batch_shape)
    return layer._inbound_nodes[0].outputs
