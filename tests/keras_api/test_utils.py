"""keras.utils: to_categorical, normalize, set_random_seed, get_file (offline), Sequence."""

from __future__ import annotations

import hashlib
import random
import tarfile

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import utils


def test_to_categorical():
    np.testing.assert_array_equal(utils.to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    out = utils.to_categorical(np.array([[1], [0]]), num_classes=4)
    assert out.shape == (2, 4) and out.dtype == np.float32
    assert utils.to_categorical(np.zeros((2, 3), int), 2).shape == (2, 3, 2)
    with pytest.raises(ValueError, match="out of range"):
        utils.to_categorical([3], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        utils.to_categorical([-1])
    with pytest.raises(ValueError, match="integer"):
        utils.to_categorical([0.5])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


def test_set_random_seed_repeats_every_generator():
    def draw():
        return (random.random(), np.random.rand(), float(ff.random.uniform([1])[0]))

    utils.set_random_seed(3)
    first = draw()
    utils.set_random_seed(3)
    assert draw() == first
    with pytest.raises(ValueError, match="seed"):
        utils.set_random_seed("3")


def test_get_file_is_offline_with_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not download") as info:
        utils.get_file("mnist.npz", "https://example.com/mnist.npz", cache_dir=str(tmp_path))
    assert str(tmp_path) in str(info.value)


def test_get_file_uses_cache_and_local_origins(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    path = utils.get_file("copy.txt", f"file://{source}", cache_dir=str(tmp_path / "cache"),
                          file_hash=digest)
    assert open(path).read() == "hello"
    # now cached: no origin needed
    assert utils.get_file("copy.txt", None, cache_dir=str(tmp_path / "cache")) == path
    with pytest.raises(ValueError, match="corrupted"):
        utils.get_file("copy.txt", None, cache_dir=str(tmp_path / "cache"), md5_hash="0" * 32)


def test_get_file_untars(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="data")
    out = utils.get_file("data", str(archive), untar=True, cache_dir=str(tmp_path / "cache"))
    assert open(f"{out}/a.txt").read() == "x"


def test_sequence_trains_a_model():
    from tests.keras_api.training.tiny_model import TinyModel, classification_data

    x, y = classification_data(12)
    epochs_ended = []

    class Batches(utils.Sequence):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]

        def on_epoch_end(self):
            epochs_ended.append(True)

    model = TinyModel(activation="softmax")
    model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=True)
    model.fit(Batches(), epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 6 and len(epochs_ended) == 2


def test_pack_and_unpack():
    assert utils.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert utils.unpack_x_y_sample_weight(5) == (5, None, None)
    assert utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert utils.pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    with pytest.raises(ValueError, match="format"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_progbar_is_exported():
    assert utils.Progbar(10).target == 10
