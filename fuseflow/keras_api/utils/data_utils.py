"""`get_file` (local files only: fuseflow never downloads) and `Sequence`."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import zipfile
from urllib.parse import urlparse


class Sequence:
    """Base class for batch providers: `__getitem__(index)` returns a batch, `__len__` the
    number of batches; `fit` calls `on_epoch_end` after each epoch."""

    def __getitem__(self, index: int):
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__`")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement `__len__`")

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch (shuffle here if you need to)."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


def _cache_dir(cache_dir: str | None, cache_subdir: str) -> str:
    base = cache_dir or os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras")
    return os.path.join(base, cache_subdir)


def _local_source(origin: str | None) -> str | None:
    if not origin:
        return None
    parsed = urlparse(origin)
    if parsed.scheme == "file":
        return parsed.path
    return origin if os.path.exists(origin) else None


def _file_hash(path: str, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_hash(path: str, expected: str | None, algorithm: str) -> None:
    if not expected:
        return
    if algorithm == "auto":
        algorithm = "sha256" if len(expected) == 64 else "md5"
    actual = _file_hash(path, algorithm)
    if actual != expected:
        raise ValueError(f"get_file: {path} has {algorithm} {actual}, expected {expected}; the "
                         "file is incomplete or corrupted")


def _extract(path: str, into: str) -> None:
    """Extract a tar or zip archive, refusing members that would land outside `into`."""
    root = os.path.realpath(into)
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            names = archive.getnames()
            _check_members(names, root, path)
            archive.extractall(into, members=[m for m in archive.getmembers()
                                              if m.isfile() or m.isdir()])
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            _check_members(archive.namelist(), root, path)
            archive.extractall(into)
    else:
        raise ValueError(f"get_file: {path} is not a tar or zip archive")


def _check_members(names, root: str, path: str) -> None:
    for name in names:
        target = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, target]) != root:
            raise ValueError(f"get_file: archive {path} has a member outside its folder: "
                             f"{name!r}")


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False,
             md5_hash: str | None = None, file_hash: str | None = None,
             cache_subdir: str = "datasets", hash_algorithm: str = "auto",
             extract: bool = False, archive_format: str = "auto", cache_dir: str | None = None,
             **unused) -> str:
    """The path of `fname` in the Keras cache (`~/.keras/datasets`), copied there from a local
    `origin` (a path or `file://` URL) when missing. fuseflow never downloads.

    Raises:
        FileNotFoundError: the file is not cached and `origin` is not a local file.
        ValueError: the file's hash differs from `file_hash`/`md5_hash`.
    """
    if fname is None:
        fname = os.path.basename(urlparse(origin or "").path)
        if not fname:
            raise ValueError(f"get_file: cannot infer a file name from origin={origin!r}; pass "
                             "`fname`")
    directory = _cache_dir(cache_dir, cache_subdir)
    path = fname if os.path.isabs(fname) else os.path.join(directory, fname)
    if untar and not path.endswith((".tar.gz", ".tgz", ".tar")):
        archive = path + ".tar.gz"
    else:
        archive = path
    if not os.path.exists(archive):
        source = _local_source(origin)
        if source is None:
            raise FileNotFoundError(
                f"get_file: {fname!r} is not in {directory} and fuseflow does not download "
                f"files (no network access). Download {origin or fname!r} yourself and put it "
                f"at {archive}, or pass a local path or file:// URL as `origin`.")
        os.makedirs(os.path.dirname(archive), exist_ok=True)
        shutil.copyfile(source, archive)
    _check_hash(archive, file_hash or md5_hash, "md5" if md5_hash and not file_hash
                else hash_algorithm)
    if untar or extract:
        _extract(archive, os.path.dirname(archive))
        if untar:
            for suffix in (".tar.gz", ".tgz", ".tar"):
                if archive.endswith(suffix):
                    return archive[: -len(suffix)]
    return archive
