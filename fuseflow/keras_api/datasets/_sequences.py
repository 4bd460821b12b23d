"""Word-index sequences shared by imdb and reuters: shifting, length filtering, vocabulary cuts."""

from __future__ import annotations

import json

import numpy as np

from fuseflow.keras_api.datasets import _files


def shuffled(rng: np.random.RandomState, *arrays):
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]


def shift(xs, start_char: int | None, index_from: int) -> list[list[int]]:
    """Prepend `start_char` and add `index_from` to every word index."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def remove_long(maxlen: int, xs: list, labels) -> tuple[list, list]:
    """Keep the sequences shorter than `maxlen`."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs: list, num_words: int | None, skip_top: int,
                     oov_char: int | None) -> list[list[int]]:
    """Replace (or drop, without `oov_char`) words outside `[skip_top, num_words)`."""
    if not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(sequences: list) -> np.ndarray:
    """A 1-d object array of lists (even when all lists have the same length)."""
    out = np.empty(len(sequences), dtype=object)
    out[:] = sequences
    return out


def load_word_index(dataset: str, path: str) -> dict[str, int]:
    found = _files.find(dataset, path, _files.KERAS_URL + path)
    with open(found, encoding="utf-8") as stream:
        return json.load(stream)
