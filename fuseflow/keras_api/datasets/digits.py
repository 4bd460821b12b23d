"""The 8x8 handwritten digits bundled with fuseflow: 1,797 images, always available offline."""

from __future__ import annotations

import os

import numpy as np

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.npz")
NUM_TRAIN = 1437  # the first 1,437 images train, the last 360 test: a fixed split


def load_data():
    """Load the bundled digits with a fixed split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 8, 8)` with values 0..16 and
        uint8 labels `(n,)`; 1,437 train and 360 test.
    """
    with np.load(PATH, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    return (images[:NUM_TRAIN], labels[:NUM_TRAIN]), (images[NUM_TRAIN:], labels[NUM_TRAIN:])
