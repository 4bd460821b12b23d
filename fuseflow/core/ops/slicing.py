"""`tensor[...]`: NumPy-style indexing lowered to strided_slice and gather."""

from __future__ import annotations


def getitem(tensor, key):
    """Index `tensor` like a NumPy array (ints, slices, steps, ..., None, int tensors)."""
    raise NotImplementedError("indexing lands with the movement ops")
