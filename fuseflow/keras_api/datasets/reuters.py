"""Reuters newswires: 11,228 topic-labelled wires as word-index lists, 46 topics."""

from __future__ import annotations

import numpy as np

from fuseflow.keras_api.datasets import _files, _sequences


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              **kwargs):
    """Load `reuters.npz` (no download); arguments as Keras's `reuters.load_data`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of int lists and int64 labels.
    """
    if kwargs:
        raise TypeError(f"reuters.load_data: unrecognized keyword arguments: {sorted(kwargs)}")
    found = _files.find("reuters", path, _files.KERAS_URL + "reuters.npz")
    arrays = _files.load_npz(found)
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = _sequences.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.remove_long(maxlen, xs, labels)
    xs = _sequences.limit_vocabulary(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return (_sequences.object_array(xs[:split]), np.array(labels[:split])), (
        _sequences.object_array(xs[split:]), np.array(labels[split:]))


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The word -> index dictionary of `reuters_word_index.json`."""
    return _sequences.load_word_index("reuters", path)
