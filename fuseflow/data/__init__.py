"""`fuseflow.data`: tf.data-style input pipelines (`Dataset`, `TextLineDataset`, ...)."""

from fuseflow.data import experimental
from fuseflow.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    DatasetIterator,
)
from fuseflow.data.readers import TextLineDataset

Iterator = DatasetIterator

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "Iterator",
           "TextLineDataset", "experimental"]
