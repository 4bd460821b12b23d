"""Saving: weights (checkpoint prefix, `.weights.npz`, `.h5`), whole models (`.keras`, `.h5`,
SavedModel directories), `Checkpoint` / `CheckpointManager`; every write is atomic."""

from __future__ import annotations

from fuseflow.keras_api.saving.api import load_model, save_model
from fuseflow.keras_api.saving.bundle import latest_checkpoint
from fuseflow.keras_api.saving.checkpoint import Checkpoint, CheckpointLoadStatus, CheckpointManager
from fuseflow.keras_api.saving.files import CorruptFileError, atomic_write
from fuseflow.keras_api.saving.weights import load_weights, save_weights

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CorruptFileError",
           "atomic_write", "latest_checkpoint", "load_model", "load_weights", "save_model",
           "save_weights"]
