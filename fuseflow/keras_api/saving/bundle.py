"""The checkpoint layout for a prefix: `prefix.index`, `prefix.data-00000-of-00001`, `checkpoint`.

Our own simple format (TensorFlow cannot read it):

- `prefix.data-00000-of-00001`: the magic bytes `FFCKPT01`, then each tensor's raw C-order
  little-endian bytes, back to back.
- `prefix.index`: UTF-8 JSON `{"format": "fuseflow.checkpoint/1", "data_size": n,
  "tensors": {key: {"dtype", "shape", "offset", "length", "crc32"}}, "metadata": {...}}`.
- `checkpoint` (in the prefix's directory): TensorFlow's text form,
  `model_checkpoint_path: "ckpt-2"` and one `all_model_checkpoint_paths: "..."` per kept
  checkpoint, paths relative to the directory.

Both bundle files are staged and renamed together, data first; every tensor carries a CRC32, so
a damaged or mismatched pair is reported, never loaded.
"""

from __future__ import annotations

import json
import os
import re
import zlib

import numpy as np

from fuseflow.keras_api.saving.files import (
    AtomicGroup,
    atomic_group,
    atomic_write,
    reading,
    require,
)

FORMAT = "fuseflow.checkpoint/1"
MAGIC = b"FFCKPT01"
DATA_SUFFIX = ".data-00000-of-00001"
STATE_FILE = "checkpoint"
_WHAT = "checkpoint"


def index_path(prefix: str) -> str:
    return f"{prefix}.index"


def data_path(prefix: str) -> str:
    return f"{prefix}{DATA_SUFFIX}"


def exists(prefix: str) -> bool:
    """Whether a checkpoint was written at `prefix`."""
    return os.path.isfile(index_path(prefix))


def _plain(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"checkpoint: cannot store an array of dtype {array.dtype}")
    return np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<")))


def write(prefix: str, arrays: dict[str, np.ndarray], metadata: dict | None = None,
          group: AtomicGroup | None = None) -> str:
    """Write `arrays` (key -> array) atomically as the checkpoint `prefix`; return `prefix`.

    With `group`, the files are only staged there (the caller commits them with others).
    """
    if group is None:
        with atomic_group() as own:
            return write(prefix, arrays, metadata, own)
    prefix = os.fspath(prefix)
    tensors, offset = {}, len(MAGIC)
    with group.open(data_path(prefix)) as data:
        data.write(MAGIC)
        for key, array in arrays.items():
            raw = _plain(array).tobytes()
            data.write(raw)
            tensors[key] = {"dtype": _plain(array).dtype.str, "shape": list(np.shape(array)),
                            "offset": offset, "length": len(raw), "crc32": zlib.crc32(raw)}
            offset += len(raw)
    index = {"format": FORMAT, "data_size": offset, "tensors": tensors,
             "metadata": metadata or {}}
    with group.open(index_path(prefix)) as handle:
        handle.write(json.dumps(index).encode("utf-8"))
    return prefix


def read(prefix: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and metadata of checkpoint `prefix`; a damaged file raises naming it."""
    prefix = os.fspath(prefix)
    if not exists(prefix):
        found = os.path.exists(prefix)
        raise FileNotFoundError(
            f"No checkpoint at prefix {prefix!r}: {index_path(prefix)!r} does not exist"
            + (" (the path is a file of another format)" if found else ""))
    path = index_path(prefix)
    with reading(path, "checkpoint index"):
        with open(path, "rb") as handle:
            index = json.loads(handle.read().decode("utf-8"))
        require(isinstance(index, dict) and index.get("format") == FORMAT, path, "checkpoint index",
                f"not a fuseflow checkpoint index (expected format {FORMAT!r})")
        tensors, size = dict(index["tensors"]), int(index["data_size"])
    data_file = data_path(prefix)
    with reading(data_file, "checkpoint data file"):
        with open(data_file, "rb") as handle:
            blob = handle.read()
        require(len(blob) == size and blob.startswith(MAGIC), data_file, "checkpoint data file",
                f"expected {size} bytes starting with {MAGIC!r}, found {len(blob)} bytes "
                "(truncated, damaged, or from another save than the index)")
        arrays = {key: _tensor(blob, key, spec, data_file) for key, spec in tensors.items()}
    return arrays, dict(index.get("metadata") or {})


def _tensor(blob: bytes, key: str, spec: dict, path: str) -> np.ndarray:
    dtype = np.dtype(spec["dtype"])
    require(dtype.kind in "biufc", path, _WHAT, f"tensor {key!r} has unsupported dtype {dtype}")
    shape = tuple(int(d) for d in spec["shape"])
    start, length = int(spec["offset"]), int(spec["length"])
    raw = blob[start:start + length]
    require(len(raw) == length == int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, path,
            _WHAT, f"tensor {key!r} runs past the end of the data or has the wrong size")
    require(zlib.crc32(raw) == int(spec["crc32"]), path, _WHAT,
            f"tensor {key!r} fails its CRC32 check (the data is damaged)")
    # the canonical dtype object: compiled plans check a variable's dtype by identity
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(np.dtype(dtype.type))


def remove(prefix: str) -> None:
    """Delete the files of checkpoint `prefix` (missing files are fine)."""
    for path in (index_path(prefix), data_path(prefix)):
        if os.path.exists(path):
            os.remove(path)


# -- the `checkpoint` state file -----------------------------------------------------------------
def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LINE = re.compile(
    r'^\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*"((?:[^"\\]|\\.)*)"')


def write_state(directory: str, latest: str, all_paths: list[str] | None = None) -> None:
    """Name `latest` (and the kept checkpoints) in `directory/checkpoint`, atomically."""
    def relative(path: str) -> str:
        return os.path.relpath(path, directory) if os.path.isabs(path) else path

    lines = [f"model_checkpoint_path: {_quote(relative(latest))}"]
    lines += [f"all_model_checkpoint_paths: {_quote(relative(p))}" for p in all_paths or [latest]]
    with atomic_write(os.path.join(directory, STATE_FILE)) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))


def read_state(directory: str) -> tuple[str | None, list[str]]:
    """`(latest, all kept)` from `directory/checkpoint` as paths joined to `directory`."""
    path = os.path.join(os.fspath(directory), STATE_FILE)
    if not os.path.isfile(path):
        return None, []
    latest, kept = None, []
    with reading(path, "checkpoint state file"), open(path, "rb") as handle:
        for line in handle.read().decode("utf-8").splitlines():
            match = _LINE.match(line)
            if not match:
                continue
            value = re.sub(r"\\(.)", r"\1", match.group(2))
            full = value if os.path.isabs(value) else os.path.join(directory, value)
            if match.group(1) == "model_checkpoint_path":
                latest = full
            else:
                kept.append(full)
    return latest, kept


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint in `checkpoint_dir`, or None when there is none."""
    directory = os.fspath(checkpoint_dir)
    if latest_filename not in (None, STATE_FILE):
        raise ValueError(f"latest_checkpoint: only the state file name {STATE_FILE!r} is "
                         f"supported, received latest_filename={latest_filename!r}")
    latest, _ = read_state(directory)
    return latest if latest is not None and exists(latest) else None
