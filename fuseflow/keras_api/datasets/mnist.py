"""MNIST handwritten digits: 60,000 train and 10,000 test images, 28x28 uint8."""

from __future__ import annotations

from fuseflow.keras_api.datasets import _files


def load_data(path: str = "mnist.npz"):
    """Load `mnist.npz` from $FUSEFLOW_DATA_DIR or ~/.keras/datasets (no download).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)`, uint8 labels `(n,)`.
    """
    found = _files.find("mnist", path, _files.KERAS_URL + "mnist.npz")
    arrays = _files.load_npz(found)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
