"""Reading CIFAR python batches from the extracted folder or straight from the tarball."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable

import numpy as np

from fuseflow.keras_api.datasets import _files


def batch_reader(dataset: str, dirname: str, tarball: str, url: str) -> Callable[[str], tuple]:
    """`read(member) -> (data, labels dict)` over the folder `dirname` or the tarball.

    The folder may sit in a data folder directly or inside `<dirname>_extracted/`; the tarball
    may be named as published (`tarball`) or as Keras saves it (`<dirname>.tar.gz`).
    """
    folders = [dirname, os.path.join(dirname + "_extracted", dirname)]
    for folder in folders:
        for directory in _files.search_dirs():
            path = os.path.join(directory, folder)
            if os.path.isdir(path):
                return lambda member: _read_file(os.path.join(path, member))
    archive = _files.find(dataset, [tarball, dirname + ".tar.gz"], url)
    return lambda member: _read_tar_member(archive, f"{dirname}/{member}")


def _read_file(path: str) -> dict:
    if not os.path.isfile(path):
        raise _files.DatasetNotFoundError("cifar.load_data", f"{path} is missing from the "
                                          "extracted CIFAR folder")
    with open(path, "rb") as stream:
        return _files.safe_unpickle(stream, path)


def _read_tar_member(archive: str, member: str) -> dict:
    try:
        with tarfile.open(archive, "r:*") as tar:
            stream = tar.extractfile(member)
            if stream is None:
                raise KeyError(member)
            data = stream.read()
    except KeyError:
        raise _files.DatasetNotFoundError("cifar.load_data", f"{archive} has no member "
                                          f"{member!r}") from None
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ValueError(f"{archive}: not a valid tar.gz file ({error})") from None
    return _files.safe_unpickle(io.BytesIO(data), f"{archive}:{member}")


def images_and_labels(batch: dict, label_key: str, where: str) -> tuple[np.ndarray, list]:
    """`(data (n, 3, 32, 32) uint8, labels)` of one unpickled batch (keys are bytes)."""
    decoded = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()} \
        if isinstance(batch, dict) else {}
    if "data" not in decoded or label_key not in decoded:
        raise ValueError(f"{where}: expected a dict with 'data' and {label_key!r}")
    data = np.asarray(decoded["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), list(decoded[label_key])


def channels_last(images: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(images.transpose(0, 2, 3, 1))
