"""`fuseflow.keras.datasets`: the Keras datasets, read offline from files already on disk."""

from fuseflow.keras_api.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from fuseflow.keras_api.datasets._files import DatasetNotFoundError

__all__ = ["DatasetNotFoundError", "boston_housing", "cifar10", "cifar100", "digits",
           "fashion_mnist", "imdb", "mnist", "reuters"]
