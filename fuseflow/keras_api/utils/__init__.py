"""Keras utilities (`fuseflow.keras.utils`)."""

from __future__ import annotations

from fuseflow.keras_api.layers.serialization import (
    custom_object_scope,
    get_custom_objects,
    register_keras_serializable,
)
from fuseflow.keras_api.training.data_adapter import (
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from fuseflow.keras_api.training.progbar import Progbar
from fuseflow.keras_api.utils.data_utils import Sequence, get_file
from fuseflow.keras_api.utils.np_utils import normalize, to_categorical
from fuseflow.keras_api.utils.seeding import set_random_seed

__all__ = ["Progbar", "Sequence", "custom_object_scope", "get_custom_objects", "get_file",
           "normalize", "pack_x_y_sample_weight", "register_keras_serializable",
           "set_random_seed", "to_categorical", "unpack_x_y_sample_weight"]
