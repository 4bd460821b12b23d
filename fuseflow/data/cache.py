"""`cache`: remember the elements of the first complete iteration, in memory or in files.

A file cache at `filename` is two files, as TF names them: `filename.data-00000-of-00001` (the
elements as a stream of .npy records) and `filename.index` (a JSON header: specs and count).
Both are written to temporary files and renamed only when an iteration completes, the index
last, so a cache is either whole or absent. Reading never unpickles: strings are stored as
lengths plus bytes.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator

import numpy as np

from fuseflow.core import dtypes, nest
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.data import structure
from fuseflow.data.dataset import Dataset

FORMAT = "fuseflow-dataset-cache"
VERSION = 1


class CacheDataset(Dataset):
    """The input's elements, computed once and replayed afterwards (`Dataset.cache`)."""

    _tf_name = "_CacheDataset"

    def __init__(self, input: Dataset, filename: str = ""):
        self._input = input
        self._filename = os.fspath(filename)
        self._elements: list | None = None
        self._lock = threading.Lock()

    def _iter(self):
        if self._filename:
            return self._file_iter()
        return self._memory_iter()

    def _memory_iter(self):
        if self._elements is not None:
            yield from self._elements
            return
        recorded = []
        for element in self._input._iter():
            recorded.append(element)
            yield element
        with self._lock:  # a partial iteration never gets here: its elements are dropped
            if self._elements is None:
                self._elements = recorded

    def _file_iter(self):
        index = self._filename + ".index"
        if os.path.exists(index):
            yield from read_cache(self._filename, self.element_spec)
            return
        yield from write_cache(self._filename, self._input._iter())

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return self._input._cardinality()


def _paths(filename: str) -> tuple[str, str]:
    return filename + ".data-00000-of-00001", filename + ".index"


def _temp(path: str) -> str:
    return f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"


def write_cache(filename: str, elements: Iterator) -> Iterator:
    """Yield `elements` while writing them; publish the files only when all were written."""
    data_path, index_path = _paths(filename)
    directory = os.path.dirname(data_path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    temp_data, temp_index = _temp(data_path), _temp(index_path)
    count, specs, complete = 0, None, False
    try:
        with open(temp_data, "wb") as stream:
            for element in elements:
                leaves = nest.flatten(element)
                specs = specs or [_spec_record(leaf) for leaf in leaves]
                for leaf in leaves:
                    _write_leaf(stream, leaf)
                count += 1
                yield element
            _sync(stream)
        header = {"format": FORMAT, "version": VERSION, "count": count, "specs": specs}
        with open(temp_index, "w") as stream:
            json.dump(header, stream)
            _sync(stream)
        os.replace(temp_data, data_path)
        os.replace(temp_index, index_path)  # the index last: it marks a complete cache
        complete = True
    finally:
        if not complete:
            for path in (temp_data, temp_index):
                if os.path.exists(path):
                    os.remove(path)


def _sync(stream) -> None:
    stream.flush()
    os.fsync(stream.fileno())


def _spec_record(leaf: np.ndarray) -> dict:
    return {"dtype": dtypes.from_numpy(leaf.dtype).name, "rank": leaf.ndim}


def _write_leaf(stream, leaf: np.ndarray) -> None:
    if leaf.dtype.kind != "O":
        np.lib.format.write_array(stream, np.ascontiguousarray(leaf), allow_pickle=False)
        return
    items = leaf.ravel().tolist()
    is_text = np.array([isinstance(item, str) for item in items], dtype=np.bool_)
    raw = [item.encode("utf-8") if isinstance(item, str) else bytes(item) for item in items]
    lengths = np.array([len(r) for r in raw], dtype=np.int64).reshape(leaf.shape)
    for array in (lengths, is_text, np.frombuffer(b"".join(raw), dtype=np.uint8)):
        np.lib.format.write_array(stream, array, allow_pickle=False)


def _read_leaf(stream, dtype: str) -> np.ndarray:
    if dtype != "string":
        return np.lib.format.read_array(stream, allow_pickle=False)
    lengths = np.lib.format.read_array(stream, allow_pickle=False)
    is_text = np.lib.format.read_array(stream, allow_pickle=False)
    buffer = np.lib.format.read_array(stream, allow_pickle=False).tobytes()
    offsets = np.concatenate([[0], np.cumsum(lengths.ravel())])
    if offsets[-1] != len(buffer) or is_text.size != lengths.size:
        raise ValueError("string record lengths do not match its bytes")
    items = [buffer[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    items = [item.decode("utf-8") if text else item for item, text in zip(items, is_text)]
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(lengths.shape)


def read_cache(filename: str, spec) -> Iterator:
    """Yield the elements of a complete cache, checked against the dataset's `spec`."""
    data_path, index_path = _paths(filename)
    header = _read_header(index_path)
    flat_specs = nest.flatten(spec)
    expected = [{"dtype": s.dtype.name, "rank": None if s.shape is None else len(s.shape)}
                for s in flat_specs]
    stored = header["specs"] or []
    if header["count"] and [r["dtype"] for r in stored] != [e["dtype"] for e in expected]:
        raise InvalidArgumentError("cache", f"the cache {index_path} was written by a dataset "
                                   f"with other elements ({stored}); this dataset's elements "
                                   f"are {structure.spec_text(spec)}. Delete the cache files "
                                   "or use another filename.")
    try:
        with open(data_path, "rb") as stream:
            for _ in range(header["count"]):
                leaves = [_read_leaf(stream, r["dtype"]) for r in stored]
                yield nest.pack_sequence_as(spec, leaves)
    except (ValueError, EOFError, OSError) as error:
        raise InvalidArgumentError("cache", f"the cache file {data_path} is truncated or "
                                   f"corrupt ({error}); delete it to rebuild the cache") from None


def _read_header(index_path: str) -> dict:
    try:
        with open(index_path) as stream:
            header = json.load(stream)
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError("not a fuseflow dataset cache index")
        int(header["count"])
        return header
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise InvalidArgumentError("cache", f"the cache index {index_path} is unreadable "
                                   f"({error}); delete it to rebuild the cache") from None
