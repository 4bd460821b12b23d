"""`fuseflow.train`: checkpoints of models, optimizers and variables, as `tf.train`."""

from __future__ import annotations

from fuseflow.keras_api.saving.bundle import latest_checkpoint
from fuseflow.keras_api.saving.checkpoint import (
    Checkpoint,
    CheckpointLoadStatus,
    CheckpointManager,
)

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "latest_checkpoint"]
