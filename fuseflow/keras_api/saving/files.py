"""Atomic file writes and the error every reader raises for a damaged file.

Every saver writes through `atomic_write` (or an `AtomicGroup` when several files must change
together): data goes to a temporary file in the target's directory, is fsynced, and only then
renamed over the target, so a crash or an exception mid-save leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO

# What a damaged zip/npz/JSON/binary file raises while being parsed.
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, KeyError, EOFError,
               TypeError, IndexError, UnicodeDecodeError, OSError)


class CorruptFileError(ValueError):
    """A saved file that is truncated, damaged or not in the expected format."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicGroup:
    """Stage several files; `commit` renames them all into place (in the order opened)."""

    def __init__(self) -> None:
        self._staged: list[tuple[str, str]] = []  # (temp path, final path)

    def path(self, path: str | os.PathLike) -> str:
        """A temporary path next to `path`; it replaces `path` on commit."""
        final = os.path.abspath(os.fspath(path))
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(final)}.",
                                    suffix=".tmp")
        os.close(fd)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp's 0600 would surprise the user
        self._staged.append((temp, final))
        return temp

    @contextlib.contextmanager
    def open(self, path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
        """Write the staged replacement of `path`; it is fsynced when the block ends."""
        with open(self.path(path), mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())

    def commit(self) -> None:
        for temp, final in self._staged:
            _fsync_file(temp)
            os.replace(temp, final)
        for directory in {os.path.dirname(final) for _, final in self._staged}:
            _fsync_dir(directory)
        self._staged = []

    def discard(self) -> None:
        for temp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        self._staged = []


@contextlib.contextmanager
def atomic_group() -> Iterator[AtomicGroup]:
    """Files staged in the block replace their targets only if the whole block succeeds."""
    group = AtomicGroup()
    try:
        yield group
    except BaseException:
        group.discard()
        raise
    try:
        group.commit()
    except BaseException:
        group.discard()
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file that atomically replaces `path` when the block succeeds."""
    with atomic_group() as group, group.open(path, mode) as handle:
        yield handle


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    # The rename itself must reach the disk; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def reading(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Turn any parse failure inside the block into a `CorruptFileError` naming `path`."""
    try:
        yield
    except CorruptFileError:
        raise
    except FileNotFoundError:
        raise FileNotFoundError(f"No such {what}: {os.fspath(path)!r}") from None
    except READ_ERRORS as error:
        raise CorruptFileError(f"Cannot read {what} {os.fspath(path)!r}: the file is truncated, "
                               f"damaged or not in the expected format "
                               f"({type(error).__name__}: {error})") from error


def require(condition: bool, path: str | os.PathLike, what: str, problem: str) -> None:
    """Raise `CorruptFileError` naming `path` unless `condition` holds."""
    if not condition:
        raise CorruptFileError(f"Cannot read {what} {os.fspath(path)!r}: {problem}")
