"""save_weights / load_weights in each format: round trips, errors, atomicity."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from fuseflow import train
from fuseflow.keras_api import backend
from fuseflow.keras_api import layers as L
from fuseflow.keras_api.saving import CorruptFileError, array_files, bundle
from tests.keras_api.saving.models import BUILDERS, Net, same_weights

FORMATS = ["w.weights.npz", "ckpt/w"]


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_weights_round_trip_into_a_fresh_model(tmp_path, kind, name):
    source, target = BUILDERS[kind](), BUILDERS[kind]()
    assert not same_weights(source, target)
    source.save_weights(tmp_path / name)
    target.load_weights(tmp_path / name)
    assert same_weights(source, target)


def test_checkpoint_prefix_writes_tf_layout_and_names_latest(tmp_path):
    model = BUILDERS["sequential"]()
    model.save_weights(tmp_path / "first")
    model.save_weights(tmp_path / "second")
    assert {"first.index", "first.data-00000-of-00001", "checkpoint"} <= set(os.listdir(tmp_path))
    assert train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "second")
    assert train.latest_checkpoint(str(tmp_path / "missing")) is None


def test_weightless_layers_do_not_shift_structure(tmp_path):
    source = BUILDERS["sequential"]()
    source.save_weights(tmp_path / "w.weights.npz")
    from fuseflow import keras_api as keras

    target = keras.Sequential([keras.Input(shape=(3,)), L.Dense(5, activation="tanh"),
                               L.Dropout(0.5), L.Dense(2)])
    target.load_weights(tmp_path / "w.weights.npz")
    assert same_weights(source, target)


@pytest.mark.parametrize("name", FORMATS)
def test_mismatched_architecture_names_layer_and_shapes(tmp_path, name):
    from fuseflow import keras_api as keras

    BUILDERS["sequential"]().save_weights(tmp_path / name)
    other = keras.Sequential([keras.Input(shape=(3,)), L.Dense(7, name="wide"), L.Dense(2)])
    with pytest.raises(ValueError, match=r"'wide'.*\(3, 7\).*\(3, 5\)"):
        other.load_weights(tmp_path / name)


def test_missing_layer_is_named(tmp_path):
    from fuseflow import keras_api as keras

    BUILDERS["sequential"]().save_weights(tmp_path / "w.weights.npz")
    bigger = keras.Sequential([keras.Input(shape=(3,)), L.Dense(5), L.Dense(2),
                               L.Dense(4, name="extra")])
    with pytest.raises(ValueError, match="architecture does not match.*'extra'"):
        bigger.load_weights(tmp_path / "w.weights.npz")


def test_unbuilt_subclassed_model_gets_a_clear_error(tmp_path):
    BUILDERS["subclassed"]().save_weights(tmp_path / "w.weights.npz")
    with pytest.raises(ValueError, match="has not created its variables yet"):
        Net().load_weights(tmp_path / "w.weights.npz")


def _damage(path, how: str) -> None:
    data = bytearray(open(path, "rb").read())
    if how == "truncate":
        data = data[: len(data) // 2]
    else:
        for i in range(len(data) // 3, len(data) // 3 + 8):
            data[i] ^= 0xFF
    open(path, "wb").write(bytes(data))


@pytest.mark.parametrize("how", ["truncate", "flip"])
@pytest.mark.parametrize("name,damaged", [("w.weights.npz", "w.weights.npz"),
                                          ("w", "w.data-00000-of-00001"), ("w", "w.index")])
def test_corrupt_weights_file_error_names_the_file(tmp_path, how, name, damaged):
    model = BUILDERS["sequential"]()
    model.save_weights(tmp_path / name)
    _damage(tmp_path / damaged, how)
    with pytest.raises(CorruptFileError, match=str(damaged).replace(".", r"\.")):
        model.load_weights(tmp_path / name)


def test_missing_checkpoint_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing"):
        BUILDERS["sequential"]().load_weights(tmp_path / "nothing")


def test_failed_npz_save_leaves_old_file_loadable(tmp_path, monkeypatch):
    path = tmp_path / "w.weights.npz"
    old = BUILDERS["sequential"]()
    old.save_weights(path)

    def broken(arrays):
        raise RuntimeError("disk full")

    monkeypatch.setattr(array_files, "npz_bytes", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        BUILDERS["sequential"]().save_weights(path)
    monkeypatch.undo()
    fresh = BUILDERS["sequential"]()
    fresh.load_weights(path)
    assert same_weights(old, fresh)
    assert os.listdir(tmp_path) == ["w.weights.npz"]  # no temp file left behind


def test_failed_checkpoint_save_mid_write_leaves_old_checkpoint(tmp_path, monkeypatch):
    old = BUILDERS["sequential"]()
    old.save_weights(tmp_path / "w")
    calls = []

    class Crc:
        @staticmethod
        def crc32(raw):
            calls.append(1)
            if len(calls) > 2:  # part of the new data file is already written
                raise OSError("crash mid-write")
            return 0

    monkeypatch.setattr(bundle, "zlib", Crc)
    with pytest.raises(OSError, match="crash mid-write"):
        BUILDERS["sequential"]().save_weights(tmp_path / "w")
    monkeypatch.undo()
    fresh = BUILDERS["sequential"]()
    fresh.load_weights(tmp_path / "w")
    assert same_weights(old, fresh)


def test_h5_without_h5py_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    model = BUILDERS["sequential"]()
    with pytest.raises(ImportError, match=r"pip install fuseflow\[h5\]"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ImportError, match=r"pip install fuseflow\[h5\]"):
        model.load_weights(tmp_path / "w.weights.h5")


def test_h5_weights_round_trip_when_h5py_is_installed(tmp_path):
    pytest.importorskip("h5py")  # an optional extra: its absence is tested above
    source, target = BUILDERS["functional"](), BUILDERS["functional"]()
    source.save_weights(tmp_path / "w.weights.h5")
    target.load_weights(tmp_path / "w.weights.h5")
    assert same_weights(source, target)


def test_keras_suffix_is_refused_for_weights(tmp_path):
    with pytest.raises(ValueError, match=r"model\.save\(\)"):
        BUILDERS["sequential"]().save_weights(tmp_path / "m.keras")


def test_skip_mismatch_loads_what_fits(tmp_path):
    from fuseflow import keras_api as keras

    source = BUILDERS["sequential"]()
    source.save_weights(tmp_path / "w.weights.npz")
    other = keras.Sequential([keras.Input(shape=(3,)), L.Dense(5), L.Dense(4)])
    other.load_weights(tmp_path / "w.weights.npz", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0],
                                  source.layers[0].get_weights()[0])
