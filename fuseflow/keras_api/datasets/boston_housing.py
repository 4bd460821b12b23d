"""Boston housing prices: 13 float64 features per house, float64 prices."""

from __future__ import annotations

import numpy as np

from fuseflow.keras_api.datasets import _files


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113):
    """Load `boston_housing.npz` and split it after a seeded shuffle (no download).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 `(n, 13)` features and `(n,)` prices.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: `test_split` must be in [0, 1), "
                         f"received {test_split!r}")
    found = _files.find("boston_housing", path, _files.KERAS_URL + "boston_housing.npz")
    arrays = _files.load_npz(found)
    x, y = arrays["x"], arrays["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))
