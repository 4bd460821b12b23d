"""Keras callbacks (`fuseflow.keras.callbacks`)."""

from __future__ import annotations

from fuseflow.keras_api.callbacks.base import Callback, CallbackList, History, ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
