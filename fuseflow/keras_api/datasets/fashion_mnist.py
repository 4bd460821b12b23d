"""Fashion-MNIST: 60,000 train and 10,000 test images of clothing, 28x28 uint8."""

from __future__ import annotations

import gzip
import os

import numpy as np

from fuseflow.keras_api.datasets import _files

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def load_data():
    """Load the four IDX .gz files from `fashion-mnist/` in the data folders (no download).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)`, uint8 labels `(n,)`.
    """
    paths = [_files.find("fashion_mnist", os.path.join("fashion-mnist", name),
                         _files.KERAS_URL + "fashion-mnist/" + name) for name in FILES]
    y_train, x_train, y_test, x_test = (_read_idx(path, i % 2 == 1) for i, path in
                                        enumerate(paths))
    return (x_train.reshape(len(y_train), 28, 28), y_train), (
        x_test.reshape(len(y_test), 28, 28), y_test)


def _read_idx(path: str, images: bool) -> np.ndarray:
    """The uint8 payload of an IDX file (8 header bytes for labels, 16 for images)."""
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: not a valid gzip file ({error})") from None
    offset = 16 if images else 8
    if len(data) < offset:
        raise ValueError(f"{path}: truncated IDX file ({len(data)} bytes)")
    return np.frombuffer(data, dtype=np.uint8, offset=offset)
