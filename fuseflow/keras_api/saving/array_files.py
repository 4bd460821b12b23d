"""Key -> array files: `.npz` (always) and HDF5 `.h5` (when h5py is installed).

Both are written atomically. `.npz` files are read with `allow_pickle=False`, so an object
array in a file is an error, never code run.
"""

from __future__ import annotations

import io
import os

import numpy as np

from fuseflow.keras_api.saving.files import CorruptFileError, atomic_group, reading

H5_HINT = "pip install fuseflow[h5]"


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def arrays_from_npz(source, path, what: str = "weights file") -> dict[str, np.ndarray]:
    """The arrays of an `.npz` (a path or file object), any damage reported naming `path`."""
    with reading(path, what), np.load(source, allow_pickle=False) as npz:
        if not hasattr(npz, "files"):
            raise CorruptFileError(f"Cannot read {what} {os.fspath(path)!r}: it holds a single "
                                   "array, not an .npz archive of named weights")
        return {key: np.array(npz[key]) for key in npz.files}


def write_npz(path, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` as an `.npz` file at `path`, atomically."""
    with atomic_group() as group, group.open(path) as handle:
        handle.write(npz_bytes(arrays))


def read_npz(path) -> dict[str, np.ndarray]:
    return arrays_from_npz(os.fspath(path), path)


def import_h5py():
    """The h5py module, or an ImportError saying how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(f"Saving or loading `.h5` files requires h5py, which is not "
                          f"installed: run `{H5_HINT}` (or `pip install h5py`), or use the "
                          "`.keras` / `.weights.npz` formats.") from None
    return h5py


def write_h5(path, arrays: dict[str, np.ndarray], attrs: dict | None = None) -> None:
    """Write `arrays` (keys become HDF5 dataset paths) at `path`, atomically."""
    h5py = import_h5py()
    with atomic_group() as group:
        temp = group.path(path)
        with h5py.File(temp, "w") as handle:
            for key, value in (attrs or {}).items():
                handle.attrs[key] = value
            for key, array in arrays.items():
                handle.create_dataset(key, data=np.asarray(array))


def read_h5(path) -> tuple[dict[str, np.ndarray], dict]:
    """The datasets (by path) and root attributes of an `.h5` file."""
    h5py = import_h5py()
    arrays: dict[str, np.ndarray] = {}
    with reading(path, "HDF5 file"), h5py.File(os.fspath(path), "r") as handle:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                arrays[name] = np.array(obj[()])

        handle.visititems(visit)
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in handle.attrs.items()}
    return arrays, attrs
