"""`make_csv_dataset`: batches of (features dict, label) read from CSV files.

Files are parsed with the standard `csv` module when the dataset is made; columns become
arrays, so the pipeline batches by gathering rows. Column types are int32, float32 or string,
inferred from the first rows as TF infers them, unless `column_defaults` fixes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

from fuseflow.core import dtypes
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.data.dataset import AUTOTUNE, Dataset
from fuseflow.data.readers import expand_pattern, open_text

_INT32 = (-(2**31), 2**31 - 1)


def make_csv_dataset(file_pattern, batch_size: int, column_names: Sequence[str] | None = None,
                     column_defaults=None, label_name: str | None = None, select_columns=None,
                     field_delim: str = ",", use_quote_delim: bool = True, na_value: str = "",
                     header: bool = True, num_epochs: int | None = None, shuffle: bool = True,
                     shuffle_buffer_size: int = 10000, shuffle_seed: int | None = None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy: bool = False,
                     num_rows_for_inference: int = 100, compression_type: str | None = None,
                     ignore_errors: bool = False, encoding: str = "utf-8") -> Dataset:
    """Read CSV files into a dataset of `(features, label)` batches (features alone without a
    `label_name`), shuffled, repeated `num_epochs` times (forever when None) and prefetched."""
    files = expand_pattern(file_pattern, "make_csv_dataset")
    names, rows = _read_files(files, column_names, header, field_delim, use_quote_delim,
                              compression_type, encoding, ignore_errors)
    keep = _selected(names, select_columns, label_name)
    types = _column_types(keep, rows, column_defaults, na_value, num_rows_for_inference)
    columns = {names[i]: _parse_column(names[i], [r[i] for r in rows], dtype, na_value,
                                       column_defaults, k)
               for k, (i, dtype) in enumerate(zip(keep, types))}
    features = {name: col for name, col in columns.items() if name != label_name}
    dataset = Dataset.from_tensor_slices(
        features if label_name is None else (features, columns[label_name]))
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    dataset = dataset.batch(batch_size, drop_remainder=num_epochs is None)
    return dataset.prefetch(AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size)


def _read_files(files, column_names, header, delim, quoting, compression, encoding,
                ignore_errors):
    names = list(column_names) if column_names is not None else None
    rows: list[list[str]] = []
    for path in files:
        with open_text(path, compression) as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            reader = csv.reader(text, delimiter=delim,
                                quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE)
            file_rows = [row for row in reader if row]
        if header:
            if not file_rows:
                raise InvalidArgumentError("make_csv_dataset", f"{path} has no header row")
            head, file_rows = file_rows[0], file_rows[1:]
            if names is None:
                names = head
            elif column_names is None and head != names:
                raise InvalidArgumentError("make_csv_dataset", f"{path} has header {head}, "
                                           f"which differs from the first file's {names}")
        if names is None:
            raise ValueError("make_csv_dataset: `column_names` is required when header=False")
        rows.extend(_checked_rows(path, file_rows, len(names), header, ignore_errors))
    return names, rows


def _checked_rows(path, rows, width, header, ignore_errors):
    for number, row in enumerate(rows, 2 if header else 1):
        if len(row) == width:
            yield row
        elif not ignore_errors:
            raise InvalidArgumentError("make_csv_dataset", f"{path}:{number}: expected {width} "
                                       f"fields but found {len(row)}: {row}")


def _selected(names, select_columns, label_name) -> list[int]:
    if select_columns is None:
        keep = list(range(len(names)))
    else:
        keep = sorted(names.index(c) if isinstance(c, str) and c in names else
                      _column_index(c, names) for c in select_columns)
    if label_name is not None and (label_name not in names or names.index(label_name) not in
                                   keep):
        raise ValueError(f"make_csv_dataset: `label_name` {label_name!r} is not among the "
                         f"columns {[names[i] for i in keep]}")
    return keep


def _column_index(column, names) -> int:
    if isinstance(column, int) and 0 <= column < len(names):
        return column
    raise ValueError(f"make_csv_dataset: `select_columns` entry {column!r} is not a column of "
                     f"{names}")


def _column_types(keep, rows, defaults, na_value, inference_rows) -> list:
    """One dtype per selected column: from `column_defaults` (one per selected column) or
    inferred from the first rows."""
    if defaults is not None:
        if len(defaults) != len(keep):
            raise ValueError(f"make_csv_dataset: {len(defaults)} `column_defaults` for "
                             f"{len(keep)} selected columns")
        return [_default_type(d) for d in defaults]
    sample = rows[:inference_rows]
    return [_infer_type([r[i] for r in sample], na_value) for i in keep]


def _default_type(default):
    if isinstance(default, list | tuple):
        default = default[0] if default else dtypes.float32
    if isinstance(default, dtypes.DType | type) and not isinstance(default, bool):
        return dtypes.as_dtype(default)
    default = getattr(default, "_value", default)
    if isinstance(default, str | bytes):
        return dtypes.string
    if isinstance(default, int | np.integer):
        return dtypes.int32
    return dtypes.float32


def _infer_type(values, na_value):
    kind = dtypes.int32
    for value in values:
        if value == na_value or value == "":
            continue
        if kind == dtypes.int32 and not _is_int32(value):
            kind = dtypes.float32
        if kind == dtypes.float32 and not _is_float(value):
            return dtypes.string
    return kind


def _is_int32(value: str) -> bool:
    try:
        return _INT32[0] <= int(value) <= _INT32[1]
    except ValueError:
        return False


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _parse_column(name, values, dtype, na_value, defaults, index) -> np.ndarray:
    default = _column_default(defaults, index, dtype)
    if dtype == dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = [v.encode() if v != na_value else default for v in values]
        return out
    convert = float if dtype.is_floating else int
    parsed = []
    for row, value in enumerate(values):
        if value == na_value or value == "":
            if default is None:
                raise InvalidArgumentError("make_csv_dataset", f"column {name!r} row {row} is "
                                           "empty and the column has no default")
            parsed.append(default)
            continue
        try:
            parsed.append(convert(value))
        except ValueError:
            raise InvalidArgumentError("make_csv_dataset", f"column {name!r} row {row}: "
                                       f"{value!r} is not a valid {dtype.name}") from None
    return np.array(parsed, dtype=dtype.np_dtype)


def _column_default(defaults, index, dtype):
    if defaults is None:
        return b"" if dtype == dtypes.string else 0
    default = defaults[index]
    if isinstance(default, list | tuple):
        default = default[0] if default else None
    if default is None or isinstance(default, dtypes.DType | type):
        return None  # a required column
    default = getattr(default, "_value", default)
    return default.encode() if isinstance(default, str) else default
