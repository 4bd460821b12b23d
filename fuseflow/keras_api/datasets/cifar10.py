"""CIFAR-10: 50,000 train and 10,000 test 32x32 colour images in 10 classes."""

from __future__ import annotations

import numpy as np

from fuseflow.keras_api.datasets import _cifar

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def load_data():
    """Load CIFAR-10 from `cifar-10-batches-py/` or `cifar-10-python.tar.gz` (no download).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` and uint8 labels
        `(n, 1)`.
    """
    read = _cifar.batch_reader("cifar10", "cifar-10-batches-py", "cifar-10-python.tar.gz", URL)
    parts = [_cifar.images_and_labels(read(f"data_batch_{i}"), "labels", f"data_batch_{i}")
             for i in range(1, 6)]
    x_test, y_test = _cifar.images_and_labels(read("test_batch"), "labels", "test_batch")
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.array([label for _, labels in parts for label in labels], dtype=np.uint8)
    return (_cifar.channels_last(x_train), y_train.reshape(-1, 1)), (
        _cifar.channels_last(x_test), np.array(y_test, dtype=np.uint8).reshape(-1, 1))
