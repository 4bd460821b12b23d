"""`fuseflow.errors`: TF's error classes; each names the op, its inputs and the caller's line."""

from fuseflow.core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    OpError,
    OutOfRangeError,
    ResourceExhaustedError,
    UnimplementedError,
)

__all__ = ["FailedPreconditionError", "InvalidArgumentError", "NotFoundError", "OpError",
           "OutOfRangeError", "ResourceExhaustedError", "UnimplementedError"]
