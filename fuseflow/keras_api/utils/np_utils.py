"""NumPy helpers: one-hot encoding and normalization."""

from __future__ import annotations

import numpy as np


def to_categorical(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot encode integer class labels: shape `y.shape + (num_classes,)` (a trailing axis
    of size 1 is replaced).

    Raises:
        ValueError: labels that are negative, not integers, or not below `num_classes`.
    """
    y = np.asarray(getattr(y, "numpy", lambda: y)())
    if y.size and y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ValueError("to_categorical: `y` must hold integer class labels; received "
                         f"non-integer values such as {y[np.mod(y, 1) != 0].ravel()[0]!r}")
    y = y.astype(np.int64)
    shape = y.shape[:-1] if y.ndim > 1 and y.shape[-1] == 1 else y.shape
    flat = y.ravel()
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0; received {int(flat.min())}")
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    elif flat.size and flat.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(flat.max())} is out of range for "
                         f"num_classes={num_classes}")
    categorical = np.zeros((flat.size, num_classes), dtype=dtype)
    categorical[np.arange(flat.size), flat] = 1
    return categorical.reshape((*shape, num_classes))


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """`x` divided by its `order`-norm along `axis` (all-zero slices stay zero)."""
    x = np.asarray(getattr(x, "numpy", lambda: x)())
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
