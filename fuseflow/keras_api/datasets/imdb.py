"""IMDB movie reviews: 25,000 train and 25,000 test reviews as word-index lists, 0/1 labels."""

from __future__ import annotations

import numpy as np

from fuseflow.keras_api.datasets import _files, _sequences


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, **kwargs):
    """Load `imdb.npz` (no download); arguments as Keras's `imdb.load_data`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of int lists and int64 labels.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognized keyword arguments: {sorted(kwargs)}")
    found = _files.find("imdb", path, _files.KERAS_URL + "imdb.npz")
    arrays = _files.load_npz(found)
    rng = np.random.RandomState(seed)
    x_train, labels_train = _sequences.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = _sequences.shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train = _sequences.shift(x_train, start_char, index_from)
    x_test = _sequences.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.remove_long(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.remove_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = _sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    split = len(x_train)
    return (_sequences.object_array(xs[:split]), labels[:split]), (
        _sequences.object_array(xs[split:]), labels[split:])


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The word -> index dictionary of `imdb_word_index.json`."""
    return _sequences.load_word_index("imdb", path)
