"""The 8x8 handwritten digits bundled with fuseflow: 1,797 images, always available offline."""

from __future__ import annotations

import os

import numpy as np

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.npz")
TEST_EVERY = 5  # every fifth image of each class is a test image: a fixed, stratified 80/20 split


def is_test_image(labels: np.ndarray) -> np.ndarray:
    """True for the test images: each class's 5th, 10th, ... image in file order.

    The file groups images by writer, so a split by position (the last 20%) would test on
    writers never seen in training; taking every fifth image of each class keeps both the classes
    and the writers balanced, needs no random numbers and is the same on every machine.
    """
    rank = np.empty(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        rank[where] = np.arange(len(where))
    return rank % TEST_EVERY == TEST_EVERY - 1


def load_data():
    """Load the bundled digits with a fixed stratified split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 8, 8)` with values 0..16 and
        uint8 labels `(n,)`; 1,442 train and 355 test.
    """
    with np.load(PATH, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    test = is_test_image(labels)
    return (images[~test], labels[~test]), (images[test], labels[test])
