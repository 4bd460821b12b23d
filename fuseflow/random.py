"""`fuseflow.random`: the ops TensorFlow publishes as `tf.random`."""

from fuseflow.core import ops as _ops  # noqa: F401  (registers and exports every op)
from fuseflow.core.api import members as _members

globals().update(_members("random"))
__all__ = sorted(_members("random"))
