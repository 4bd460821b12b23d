"""Finding dataset files offline, and reading pickled arrays without running code.

Files are looked up in `$FUSEFLOW_DATA_DIR`, then `~/.keras/datasets` (where Keras keeps its
downloads). fuseflow never downloads: a missing file is a `DatasetNotFoundError` naming it,
the folders searched and where to get it. Pickles (CIFAR batches, object arrays in imdb.npz)
are read by an unpickler that can build only NumPy arrays, dtypes and builtin containers.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle
import zipfile

import numpy as np

from fuseflow.core.errors import NotFoundError

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class DatasetNotFoundError(NotFoundError, FileNotFoundError):
    """A dataset file is not on this machine (fuseflow has no network access to fetch it)."""


def search_dirs() -> list[str]:
    """The folders searched for dataset files, in order."""
    dirs = []
    if os.environ.get("FUSEFLOW_DATA_DIR"):
        dirs.append(os.path.expanduser(os.environ["FUSEFLOW_DATA_DIR"]))
    dirs.append(os.path.join(os.path.expanduser("~"), ".keras", "datasets"))
    return dirs


def find(dataset: str, names: list[str] | str, url: str, kind: str = "file") -> str:
    """The first existing candidate path (file or folder) among `names` in the search dirs."""
    names = [names] if isinstance(names, str) else names
    for name in names:
        if os.path.isabs(name) and os.path.exists(name):
            return name
        for directory in search_dirs():
            path = os.path.join(directory, name)
            if os.path.isdir(path) if kind == "dir" else os.path.isfile(path):
                return path
    raise missing(dataset, names, url)


def missing(dataset: str, names: list[str], url: str) -> DatasetNotFoundError:
    wanted = " or ".join(repr(n) for n in names)
    env = os.environ.get("FUSEFLOW_DATA_DIR")
    looked = [f"$FUSEFLOW_DATA_DIR ({env})" if env else "$FUSEFLOW_DATA_DIR (not set)"]
    looked.append(search_dirs()[-1])
    return DatasetNotFoundError(
        f"{dataset}.load_data",
        f"{wanted} was not found; looked in {', '.join(looked)}. fuseflow does not download "
        f"datasets (no network access): fetch {url} on a machine with network access and put "
        "it in one of those folders, or point FUSEFLOW_DATA_DIR at the folder holding it.")


def _numpy_core():
    return getattr(np, "_core", None) or np.core


def _latin1_encode(text, encoding="latin1"):
    """`_codecs.encode` as protocol-2 pickles use it for bytes: latin-1 only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1")


def _allowed() -> dict[tuple[str, str], object]:
    core = _numpy_core()
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): _latin1_encode}
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = core.multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = core.multiarray.scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = core.numeric._frombuffer
    return allowed


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only NumPy arrays, dtypes and builtin containers."""

    def find_class(self, module: str, name: str):
        found = _allowed().get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: dataset files may "
                                         "only hold arrays, numbers, strings, lists and dicts")
        return found


def safe_unpickle(stream, path: str, encoding: str = "bytes"):
    """Unpickle `stream` with `SafeUnpickler`; errors name `path`."""
    try:
        return SafeUnpickler(stream, encoding=encoding).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{path}: not a valid dataset pickle ({error})") from None


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of an .npz file; object arrays are unpickled safely, never with code."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {name[:-4] if name.endswith(".npy") else name: _read_npy(archive, name, path)
                    for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{path}: not a valid .npz file ({error})") from None


def _read_npy(archive: zipfile.ZipFile, name: str, path: str) -> np.ndarray:
    stream = io.BytesIO(archive.read(name))
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = safe_unpickle(stream, f"{path}:{name}", encoding="latin1")
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"{path}:{name}: the pickled array does not match its header")
    return array
