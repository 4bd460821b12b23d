"""`keras.optimizers.legacy`: the tf.keras 2.11+ spelling of the same optimizer classes."""

from __future__ import annotations

from fuseflow.keras_api.optimizers.adadelta import Adadelta
from fuseflow.keras_api.optimizers.adagrad import Adagrad
from fuseflow.keras_api.optimizers.adam import Adam
from fuseflow.keras_api.optimizers.adamax import Adamax
from fuseflow.keras_api.optimizers.ftrl import Ftrl
from fuseflow.keras_api.optimizers.nadam import Nadam
from fuseflow.keras_api.optimizers.optimizer import Optimizer
from fuseflow.keras_api.optimizers.rmsprop import RMSprop
from fuseflow.keras_api.optimizers.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "Ftrl", "Nadam", "Optimizer",
           "RMSprop"]
