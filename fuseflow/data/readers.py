"""File readers: `TextLineDataset` (one bytes scalar per line) and file name expansion."""

from __future__ import annotations

import glob
import gzip
import io
import os
import zlib
from collections.abc import Iterator

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.errors import NotFoundError
from fuseflow.core.shape import TensorSpec
from fuseflow.data.dataset import Dataset


def filename_list(filenames, what: str) -> list[str]:
    """File names from a str, a path, a list of them, a string tensor or a string dataset."""
    if isinstance(filenames, Dataset):
        names = [np.asarray(n).item() for n in filenames._iter()]
    elif isinstance(filenames, str | bytes | os.PathLike):
        names = [filenames]
    else:
        values = getattr(filenames, "_value", filenames)
        names = np.asarray(values, dtype=object).ravel().tolist()
    result = [os.fsdecode(n) if isinstance(n, bytes | os.PathLike) else n for n in names]
    if not all(isinstance(n, str) for n in result):
        raise TypeError(f"{what}: `filenames` must be strings, got {filenames!r}")
    return result


def expand_pattern(file_pattern, what: str) -> list[str]:
    """Every file matching the glob pattern(s), sorted per pattern."""
    files = []
    for pattern in filename_list(file_pattern, what):
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise NotFoundError(what, f"No files match `file_pattern` {pattern!r}.")
        files.extend(matches)
    return files


def open_text(path: str, compression_type: str | None):
    """Open `path` for binary reading, decompressing GZIP/ZLIB."""
    kind = (compression_type or "").upper()
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"compression_type must be '', 'GZIP' or 'ZLIB', got {compression_type!r}")
    if not os.path.exists(path):
        raise NotFoundError("TextLineDataset", f"{path}; No such file or directory")
    if kind == "GZIP":
        return gzip.open(path, "rb")
    if kind == "ZLIB":
        with open(path, "rb") as stream:
            return io.BytesIO(zlib.decompress(stream.read()))
    return open(path, "rb")


def read_lines(path: str, compression_type: str | None) -> Iterator[bytes]:
    """The lines of a file without their `\\n` or `\\r\\n` ends."""
    with open_text(path, compression_type) as stream:
        for line in stream:
            if line.endswith(b"\n"):
                line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            yield line


class TextLineDataset(Dataset):
    """The lines of one or more text files, as string scalars (`tf.data.TextLineDataset`)."""

    _tf_name = "TextLineDatasetV2"

    def __init__(self, filenames, compression_type: str | None = None, buffer_size=None,
                 num_parallel_reads=None, name: str | None = None):
        self._files = filename_list(filenames, "TextLineDataset")
        self._compression = compression_type

    def _iter(self):
        for path in self._files:
            for line in read_lines(path, self._compression):
                array = np.empty((), dtype=object)
                array[()] = line
                yield array

    def _compute_spec(self):
        return TensorSpec((), dtypes.string)
