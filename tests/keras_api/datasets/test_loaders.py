import gzip
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.keras_api import datasets
from fuseflow.keras_api.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty FUSEFLOW_DATA_DIR, and a HOME without ~/.keras datasets."""
    monkeypatch.setenv("FUSEFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def rng():
    return np.random.default_rng(0)


def test_mnist_reads_the_npz(data_dir):
    x = rng().integers(0, 256, (5, 28, 28), dtype=np.uint8)
    np.savez(data_dir / "mnist.npz", x_train=x, y_train=np.arange(5, dtype=np.uint8),
             x_test=x[:2], y_test=np.arange(2, dtype=np.uint8))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, x)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_test.shape == (2, 28, 28) and y_test.tolist() == [0, 1]


def test_keras_home_is_searched_after_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("FUSEFLOW_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".keras" / "datasets"
    folder.mkdir(parents=True)
    x = np.zeros((1, 28, 28), np.uint8)
    np.savez(folder / "mnist.npz", x_train=x, y_train=np.zeros(1, np.uint8), x_test=x,
             y_test=np.zeros(1, np.uint8))
    assert mnist.load_data()[0][0].shape == (1, 28, 28)


@pytest.mark.parametrize("load, name", [
    (mnist.load_data, "mnist.npz"), (fashion_mnist.load_data, "train-labels-idx1-ubyte.gz"),
    (cifar10.load_data, "cifar-10-python.tar.gz"), (cifar100.load_data, "cifar-100-python"),
    (boston_housing.load_data, "boston_housing.npz"), (imdb.load_data, "imdb.npz"),
    (reuters.load_data, "reuters.npz"), (imdb.get_word_index, "imdb_word_index.json"),
    (reuters.get_word_index, "reuters_word_index.json"),
])
def test_missing_files_are_a_clear_not_found_error(data_dir, load, name):
    with pytest.raises(FileNotFoundError) as info:
        load()
    assert isinstance(info.value, ff.errors.NotFoundError)
    assert isinstance(info.value, datasets.DatasetNotFoundError)
    text = str(info.value)
    assert name in text and str(data_dir) in text and "FUSEFLOW_DATA_DIR" in text
    assert "network" in text


def idx_gz(path, payload: np.ndarray, header_len):
    with gzip.open(path, "wb") as f:
        f.write(b"\0" * header_len + payload.tobytes())


def test_fashion_mnist_reads_idx_gz_files(data_dir):
    folder = data_dir / "fashion-mnist"
    folder.mkdir()
    images = rng().integers(0, 256, (3, 28, 28), dtype=np.uint8)
    idx_gz(folder / "train-labels-idx1-ubyte.gz", np.array([1, 2, 3], np.uint8), 8)
    idx_gz(folder / "train-images-idx3-ubyte.gz", images, 16)
    idx_gz(folder / "t10k-labels-idx1-ubyte.gz", np.array([9], np.uint8), 8)
    idx_gz(folder / "t10k-images-idx3-ubyte.gz", images[:1], 16)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    assert y_train.tolist() == [1, 2, 3] and y_test.tolist() == [9]
    assert x_test.shape == (1, 28, 28) and x_test.dtype == np.uint8


def cifar_batch(n, label_key, seed, protocol=2):
    data = np.random.default_rng(seed).integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = list(range(seed, seed + n))
    batch = {b"batch_label": b"x", b"data": data, label_key.encode(): labels}
    return data, labels, pickle.dumps(batch, protocol=protocol)


def write_cifar10(folder):
    folder.mkdir()
    expected = []
    for i in range(1, 6):
        data, labels, raw = cifar_batch(2, "labels", i)
        (folder / f"data_batch_{i}").write_bytes(raw)
        expected.append((data, labels))
    data, labels, raw = cifar_batch(3, "labels", 7, protocol=4)
    (folder / "test_batch").write_bytes(raw)
    return expected, (data, labels)


def check_cifar10(expected, test):
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8
    first = expected[0][0][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(x_train[0], first)
    assert y_train[:, 0].tolist() == [label for _, labels in expected for label in labels]
    assert x_test.shape == (3, 32, 32, 3) and y_test[:, 0].tolist() == test[1]


def test_cifar10_from_the_extracted_folder(data_dir):
    check_cifar10(*write_cifar10(data_dir / "cifar-10-batches-py"))


def test_cifar10_from_the_tarball(data_dir, tmp_path):
    expected, test = write_cifar10(tmp_path / "cifar-10-batches-py")
    with tarfile.open(data_dir / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    check_cifar10(expected, test)


@pytest.mark.parametrize("mode, key", [("fine", "fine_labels"), ("coarse", "coarse_labels")])
def test_cifar100_label_modes(data_dir, mode, key):
    folder = data_dir / "cifar-100-python"
    folder.mkdir()
    for name, seed in (("train", 1), ("test", 2)):
        data = np.random.default_rng(seed).integers(0, 256, (2, 3072), dtype=np.uint8)
        batch = {b"data": data, b"fine_labels": [seed, 5], b"coarse_labels": [seed + 10, 6]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode)
    assert x_train.shape == (2, 32, 32, 3) and y_train.dtype == np.int64
    assert y_train.shape == (2, 1)
    assert y_test[0, 0] == (2 if mode == "fine" else 12)
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickles_that_would_run_code_are_refused(data_dir):
    folder = data_dir / "cifar-100-python"
    folder.mkdir()
    batch = {b"data": np.zeros((1, 3072), np.uint8), b"fine_labels": [Exploit()]}
    (folder / "train").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(ValueError, match="refusing to load"):
        cifar100.load_data()


def test_boston_housing_split_is_a_seeded_shuffle(data_dir):
    x = np.arange(50 * 13, dtype=np.float64).reshape(50, 13)
    y = np.arange(50, dtype=np.float64)
    np.savez(data_dir / "boston_housing.npz", x=x, y=y)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (40, 13) and x_test.shape == (10, 13)
    assert x_train.dtype == np.float64 and y_train.dtype == np.float64
    order = np.arange(50)
    np.random.RandomState(113).shuffle(order)
    assert y_train.tolist() == order[:40].tolist() and y_test.tolist() == order[40:].tolist()
    np.testing.assert_array_equal(x_test[0], x[order[40]])


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def write_imdb(folder):
    train = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [10]]
    test = [[2, 2], [11, 12, 13]]
    np.savez(folder / "imdb.npz", x_train=object_array(train), y_train=np.array([0, 1, 0, 1]),
             x_test=object_array(test), y_test=np.array([1, 0]))
    return train, test


def test_imdb_shifts_indices_and_keeps_label_pairs(data_dir):
    train, test = write_imdb(data_dir)
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    assert x_train.dtype == object and x_train.shape == (4,) and y_train.dtype == np.int64
    order = np.arange(4)
    np.random.RandomState(113).shuffle(order)
    assert x_train[0] == [1] + [w + 3 for w in train[order[0]]]
    assert y_train.tolist() == np.array([0, 1, 0, 1])[order].tolist()
    assert sorted(len(x) for x in x_test) == [3, 4]


def test_imdb_vocabulary_limits_and_maxlen(data_dir):
    write_imdb(data_dir)
    (x_train, _), _ = imdb.load_data(num_words=8, skip_top=2, start_char=1, oov_char=2,
                                     index_from=3)
    assert all(2 <= w < 8 for x in x_train for w in x)
    (x_train, y_train), _ = imdb.load_data(maxlen=4)
    assert all(len(x) < 4 for x in x_train) and len(x_train) == len(y_train) == 2  # [1]+3 words
    (x_train, _), _ = imdb.load_data(num_words=6, oov_char=None, start_char=None, index_from=0)
    assert all(w < 6 for x in x_train for w in x)


def test_imdb_word_index(data_dir):
    (data_dir / "imdb_word_index.json").write_text(json.dumps({"the": 1, "and": 2}))
    assert imdb.get_word_index() == {"the": 1, "and": 2}


def test_reuters_split_and_word_index(data_dir):
    xs = object_array([[i, i + 1] for i in range(10)])
    np.savez(data_dir / "reuters.npz", x=xs, y=np.arange(10))
    (data_dir / "reuters_word_index.json").write_text(json.dumps({"said": 1}))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.3, num_words=100)
    assert len(x_train) == 7 and len(x_test) == 3 and x_train.dtype == object
    for x, y in zip(x_train, y_train):
        assert x == [1, y + 3, y + 4]  # start_char, then the shifted word indices
    assert reuters.get_word_index() == {"said": 1}


def test_object_arrays_that_would_run_code_are_refused(data_dir):
    buffer = io.BytesIO()
    np.save(buffer, object_array([Exploit()]), allow_pickle=True)
    import zipfile

    with zipfile.ZipFile(data_dir / "reuters.npz", "w") as archive:
        archive.writestr("x.npy", buffer.getvalue())
        archive.writestr("y.npy", b"")
    with pytest.raises(ValueError, match="refusing to load"):
        reuters.load_data()


def test_digits_are_bundled_with_a_fixed_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1442, 8, 8) and x_test.shape == (355, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() <= 16 and set(np.unique(y_test)) == set(range(10))
    (again, _), _ = digits.load_data()
    np.testing.assert_array_equal(again, x_train)
