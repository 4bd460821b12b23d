"""`fuseflow.data.experimental`: TF's experimental tf.data names."""

from __future__ import annotations

from fuseflow.data.csv_dataset import make_csv_dataset
from fuseflow.data.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def cardinality(dataset: Dataset):
    """The number of elements of `dataset`, or INFINITE_CARDINALITY / UNKNOWN_CARDINALITY."""
    return dataset.cardinality()


__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality",
           "make_csv_dataset"]
