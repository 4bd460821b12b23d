"""Embedding: look up a dense vector for each integer index."""

from __future__ import annotations

from fuseflow.keras_api import constraints, initializers, regularizers
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.utils import positive_int, serialized


class Embedding(Layer):
    """Map indices in [0, input_dim) to rows of an (input_dim, output_dim) matrix."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero: bool = False, input_length=None,
                 **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            lengths = input_length if isinstance(input_length, list | tuple) else (input_length,)
            kwargs["input_shape"] = tuple(lengths)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = positive_int("Embedding", "output_dim", output_dim)
        if embeddings_initializer == "uniform":
            embeddings_initializer = "random_uniform"
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if not inputs.dtype.is_integer:
            inputs = ff.cast(inputs, "int32")
        return ff.gather(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        """Positions whose index is 0 are masked when `mask_zero`."""
        return ff.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict:
        config = {"input_dim": self.input_dim, "output_dim": self.output_dim,
                  "mask_zero": self.mask_zero, "input_length": self.input_length,
                  "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
        config.update(serialized(self, "embeddings_initializer", "embeddings_regularizer",
                                 "embeddings_constraint"))
        return {**super().get_config(), **config}
