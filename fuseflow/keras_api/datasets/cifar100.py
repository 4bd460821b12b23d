"""CIFAR-100: 50,000 train and 10,000 test 32x32 colour images in 100 (or 20) classes."""

from __future__ import annotations

import numpy as np

from fuseflow.keras_api.datasets import _cifar

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode: str = "fine"):
    """Load CIFAR-100 from `cifar-100-python/` or `cifar-100-python.tar.gz` (no download).

    Args:
        label_mode: "fine" (100 classes) or "coarse" (20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` and int64 labels
        `(n, 1)`.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. '
                         f"Received: label_mode={label_mode}.")
    read = _cifar.batch_reader("cifar100", "cifar-100-python", "cifar-100-python.tar.gz", URL)
    key = label_mode + "_labels"
    x_train, y_train = _cifar.images_and_labels(read("train"), key, "train")
    x_test, y_test = _cifar.images_and_labels(read("test"), key, "test")
    return (_cifar.channels_last(x_train), np.array(y_train, dtype=np.int64).reshape(-1, 1)), (
        _cifar.channels_last(x_test), np.array(y_test, dtype=np.int64).reshape(-1, 1))
