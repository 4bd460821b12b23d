"""Keras callbacks (`fuseflow.keras.callbacks`)."""

from __future__ import annotations

from fuseflow.keras_api.callbacks.base import Callback, CallbackList, History, ProgbarLogger
from fuseflow.keras_api.callbacks.checkpoint import BackupAndRestore, ModelCheckpoint
from fuseflow.keras_api.callbacks.loggers import CSVLogger, LambdaCallback, TerminateOnNaN
from fuseflow.keras_api.callbacks.monitoring import (
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
)
from fuseflow.keras_api.callbacks.tensorboard import TensorBoard

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping",
           "History", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint",
           "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
