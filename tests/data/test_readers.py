import gzip

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.data import Dataset, TextLineDataset
from fuseflow.data.experimental import make_csv_dataset


def test_text_lines_as_bytes_without_line_ends(tmp_path):
    a = tmp_path / "a.txt"
    a.write_bytes(b"first\r\nsecond\n\nlast")
    b = tmp_path / "b.txt"
    b.write_bytes(b"other\n")
    ds = TextLineDataset([str(a), str(b)])
    assert list(ds.as_numpy_iterator()) == [b"first", b"second", b"", b"last", b"other"]
    assert ds.element_spec == ff.TensorSpec((), ff.string)
    assert next(iter(ds)).dtype == ff.string


def test_text_lines_gzip_and_pipeline(tmp_path):
    path = tmp_path / "a.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"1\n2\n3\n")
    ds = TextLineDataset(str(path), compression_type="GZIP").map(lambda s: s).batch(2)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [[b"1", b"2"], [b"3"]]


def test_text_lines_of_a_missing_file_is_not_found(tmp_path):
    with pytest.raises(ff.errors.NotFoundError, match="missing.txt"):
        list(TextLineDataset(str(tmp_path / "missing.txt")))


def test_text_line_filenames_from_a_dataset(tmp_path):
    (tmp_path / "x.txt").write_text("a\nb\n")
    names = Dataset.from_tensor_slices([str(tmp_path / "x.txt")])
    assert len(list(TextLineDataset(names))) == 2


CSV = "name,age,score,label\nann,31,1.5,1\nbob,,2.5,0\ncat,40,,1\ndan,22,0.5,0\n"


def write_csv(tmp_path, text=CSV, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_make_csv_dataset_features_label_types_and_defaults(tmp_path):
    ds = make_csv_dataset(write_csv(tmp_path), batch_size=4, label_name="label",
                          num_epochs=1, shuffle=False)
    features, label = next(iter(ds.as_numpy_iterator()))
    assert list(features) == ["name", "age", "score"]
    assert features["name"].tolist() == [b"ann", b"bob", b"cat", b"dan"]
    assert features["age"].dtype == np.int32 and features["age"].tolist() == [31, 0, 40, 22]
    assert features["score"].dtype == np.float32
    assert features["score"].tolist() == [1.5, 2.5, 0.0, 0.5]
    assert label.tolist() == [1, 0, 1, 0]
    spec = ds.element_spec
    assert spec[1] == ff.TensorSpec((None,), ff.int32)
    assert spec[0]["name"] == ff.TensorSpec((None,), ff.string)


def test_make_csv_dataset_repeats_forever_with_full_batches(tmp_path):
    ds = make_csv_dataset(write_csv(tmp_path), batch_size=3, shuffle_seed=1)
    assert int(ds.cardinality()) == ff.data.INFINITE_CARDINALITY
    batches = list(ds.take(4).as_numpy_iterator())
    assert all(len(b["label"]) == 3 for b in batches)
    names = [n for b in batches for n in b["name"].tolist()]
    assert sorted(names[:4]) == [b"ann", b"bob", b"cat", b"dan"]  # an epoch is a permutation


def test_make_csv_dataset_glob_select_columns_and_defaults(tmp_path):
    write_csv(tmp_path, name="a.csv")
    write_csv(tmp_path, name="b.csv")
    ds = make_csv_dataset(str(tmp_path / "*.csv"), batch_size=8, num_epochs=1, shuffle=False,
                          select_columns=["age", "label"], label_name="label",
                          column_defaults=[-1.0, 0])
    features, label = next(iter(ds.as_numpy_iterator()))
    assert list(features) == ["age"] and features["age"].dtype == np.float32
    assert features["age"].tolist()[:4] == [31.0, -1.0, 40.0, 22.0] and len(label) == 8


def test_make_csv_dataset_errors_name_the_problem(tmp_path):
    with pytest.raises(ff.errors.NotFoundError, match="No files match"):
        make_csv_dataset(str(tmp_path / "none*.csv"), batch_size=2)
    bad = write_csv(tmp_path, "a,b\n1,2\n3\n", name="bad.csv")
    with pytest.raises(ValueError, match=r"bad.csv:3: expected 2 fields"):
        make_csv_dataset(bad, batch_size=2)
    with pytest.raises(ValueError, match="label_name"):
        make_csv_dataset(write_csv(tmp_path), batch_size=2, label_name="nope")
