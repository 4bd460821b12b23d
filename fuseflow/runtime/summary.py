"""Summary writers: TensorBoard event files (TFRecord-framed `Event` protobufs) written by hand.

An event file is a sequence of records `uint64 length | masked crc32c(length) | data | masked
crc32c(data)`; each `data` is a serialized `Event` (wall_time=1 double, step=2 int64,
file_version=3 string, summary=5 Summary{value=1 Value{tag=1, simple_value=2 float, histo=5}}).
The protobuf bytes and the CRC are produced here in pure Python, so writing summaries needs no
protobuf or TensorFlow package. `read_events` parses a file back and checks every CRC.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import socket
import struct
import threading
import time
import weakref
from collections.abc import Iterator

import numpy as np

FILE_VERSION = "brain.Event:2"
_CASTAGNOLI = 0x82F63B78  # crc32c polynomial, reflected
_MASK_DELTA = 0xA282EAD8
_FILE_COUNTER = itertools.count()


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CASTAGNOLI if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """The CRC-32C (Castagnoli) checksum of `data`."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The masked CRC that TFRecord framing stores (rotate right by 15, add a constant)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def encode_record(data: bytes) -> bytes:
    """Frame `data` as one TFRecord."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


# -- protobuf encoding (only the wire types an Event needs) ------------------------------------
def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF  # negative int64 values take ten bytes, as protobuf does
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _len_field(field: int, payload: bytes) -> bytes:
    return _tag(field, 2) + _varint(len(payload)) + payload


def _double_field(field: int, value: float) -> bytes:
    return _tag(field, 1) + struct.pack("<d", value)


def encode_scalar_value(tag: str, value: float) -> bytes:
    """A `Summary.Value` with `simple_value`."""
    return _len_field(1, tag.encode()) + _tag(2, 5) + struct.pack("<f", value)


def histogram_proto(values: np.ndarray, buckets: int = 30) -> dict:
    """The fields of a `HistogramProto` for `values` (`buckets` equal-width buckets)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        return {"min": 0.0, "max": 0.0, "num": 0.0, "sum": 0.0, "sum_squares": 0.0,
                "bucket_limit": [], "bucket": []}
    low, high = float(values.min()), float(values.max())
    if low == high:  # one bucket around the single value, so the edges stay ordered
        low, high, buckets = low - 0.5, high + 0.5, 1
    counts, edges = np.histogram(values, bins=buckets, range=(low, high))
    return {"min": float(values.min()), "max": float(values.max()), "num": float(values.size),
            "sum": float(values.sum()), "sum_squares": float(np.dot(values, values)),
            "bucket_limit": [float(e) for e in edges[1:]],
            "bucket": [float(c) for c in counts]}


def encode_histogram_value(tag: str, histo: dict) -> bytes:
    """A `Summary.Value` with `histo` (a `HistogramProto`, repeated fields packed)."""
    body = b"".join(_double_field(i, histo[key]) for i, key in
                    enumerate(("min", "max", "num", "sum", "sum_squares"), start=1))
    for field, key in ((6, "bucket_limit"), (7, "bucket")):
        if histo[key]:
            body += _len_field(field, struct.pack(f"<{len(histo[key])}d", *histo[key]))
    return _len_field(1, tag.encode()) + _len_field(5, body)


def encode_event(wall_time: float, step: int, *, file_version: str | None = None,
                 values: tuple[bytes, ...] = ()) -> bytes:
    """A serialized `Event`; `values` are encoded `Summary.Value` messages."""
    out = _double_field(1, wall_time) + _tag(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _len_field(3, file_version.encode())
    if values:
        out += _len_field(5, b"".join(_len_field(1, v) for v in values))
    return out


# -- decoding ----------------------------------------------------------------------------------
def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, object]]:
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = _read_varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire_type == 2:
            size, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire_type == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        if pos > len(data):
            raise ValueError("truncated protobuf field")
        yield field, value


def _decode_value(data: bytes) -> dict:
    value: dict = {}
    for field, raw in _fields(data):
        if field == 1:
            value["tag"] = raw.decode()
        elif field == 2:
            value["simple_value"] = struct.unpack("<f", raw)[0]
        elif field == 5:
            value["histo"] = _decode_histogram(raw)
    return value


def _decode_histogram(data: bytes) -> dict:
    names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
    histo: dict = {"bucket_limit": [], "bucket": []}
    for field, raw in _fields(data):
        if field in names:
            histo[names[field]] = struct.unpack("<d", raw)[0]
        elif field in (6, 7):
            key = "bucket_limit" if field == 6 else "bucket"
            histo[key] += list(struct.unpack(f"<{len(raw) // 8}d", raw))
    return histo


def decode_event(data: bytes) -> dict:
    """Parse a serialized `Event` into `{wall_time, step, file_version?, values}`."""
    event: dict = {"wall_time": 0.0, "step": 0, "values": []}
    for field, raw in _fields(data):
        if field == 1:
            event["wall_time"] = struct.unpack("<d", raw)[0]
        elif field == 2:
            event["step"] = raw - (1 << 64) if raw >= 1 << 63 else raw
        elif field == 3:
            event["file_version"] = raw.decode()
        elif field == 5:
            event["values"] += [_decode_value(v) for f, v in _fields(raw) if f == 1]
    return event


def read_records(path: str) -> Iterator[bytes]:
    """The records of a TFRecord file, each CRC checked.

    Raises:
        ValueError: a truncated record or a CRC mismatch, naming the file and the offset.
    """
    with open(path, "rb") as stream:
        data = stream.read()
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError(f"{path}: truncated record header at byte {pos}")
        header = data[pos:pos + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack(
            "<I", data[pos + 8:pos + 12])
        if header_crc != masked_crc32c(header):
            raise ValueError(f"{path}: corrupt record length (CRC mismatch) at byte {pos}")
        end = pos + 12 + length
        if end + 4 > len(data):
            raise ValueError(f"{path}: truncated record at byte {pos}")
        payload = data[pos + 12:end]
        if struct.unpack("<I", data[end:end + 4])[0] != masked_crc32c(payload):
            raise ValueError(f"{path}: corrupt record data (CRC mismatch) at byte {pos}")
        yield payload
        pos = end + 4


def read_events(path: str) -> list[dict]:
    """Every `Event` in an event file, decoded (see `decode_event`)."""
    return [decode_event(record) for record in read_records(path)]


# -- writers ------------------------------------------------------------------------------------
_OPEN_WRITERS: weakref.WeakSet = weakref.WeakSet()


class SummaryWriter:
    """Writes summaries of one log directory to one event file (`create_file_writer`)."""

    def __init__(self, logdir: str, max_queue: int | None = None,
                 flush_millis: int | None = None, filename_suffix: str | None = None):
        if not isinstance(logdir, str | os.PathLike) or not str(logdir):
            raise ValueError(f"create_file_writer: `logdir` must be a non-empty path, "
                             f"received {logdir!r}")
        self.logdir = os.fspath(logdir)
        self.max_queue = 10 if max_queue is None else int(max_queue)
        self.flush_seconds = (120_000 if flush_millis is None else flush_millis) / 1000.0
        suffix = ".v2" if filename_suffix is None else filename_suffix
        os.makedirs(self.logdir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_FILE_COUNTER)}{suffix}")
        self.path = os.path.join(self.logdir, name)
        self._lock = threading.Lock()
        self._file = open(self.path, "wb")  # noqa: SIM115  (closed by close())
        self._pending = 0
        self._last_flush = time.monotonic()
        self._write(encode_event(time.time(), 0, file_version=FILE_VERSION))
        self.flush()
        _OPEN_WRITERS.add(self)

    def __repr__(self) -> str:
        return f"<SummaryWriter logdir={self.logdir!r}>"

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._file is None

    def _write(self, event: bytes) -> None:
        with self._lock:
            if self._file is None:
                raise ValueError(f"SummaryWriter for {self.logdir!r} is closed; create a new "
                                 "one with `create_file_writer`")
            self._file.write(encode_record(event))
            self._pending += 1
            due = time.monotonic() - self._last_flush >= self.flush_seconds
        if self._pending >= self.max_queue or due:
            self.flush()

    def write_values(self, step: int, values: tuple[bytes, ...]) -> None:
        """Write one `Event` at `step` holding encoded `Summary.Value`s."""
        self._write(encode_event(time.time(), step, values=values))

    def write_scalar(self, tag: str, value: float, step: int) -> None:
        """Write one scalar at `step`."""
        self.write_values(step, (encode_scalar_value(tag, float(value)),))

    def write_histogram(self, tag: str, values, step: int, buckets: int = 30) -> None:
        """Write a histogram of `values` at `step`."""
        self.write_values(step, (encode_histogram_value(tag, histogram_proto(values, buckets)),))

    def init(self) -> None:
        """Nothing to do: the event file is opened when the writer is created."""

    def flush(self) -> None:
        """Write buffered events to disk."""
        with self._lock:
            if self._file is not None:
                self._file.flush()
            self._pending = 0
            self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush and close the event file; later writes raise."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def as_default(self, step=None):
        """Make this the default writer inside a `with` block (and `step` the default step)."""
        return default_writer_scope(self, step)

    def set_as_default(self, step=None) -> None:
        """Make this the default writer from now on (and `step` the default step)."""
        _STATE.writer = self
        if step is not None:
            _STATE.step = step


class NoopWriter(SummaryWriter):
    """A writer that writes nothing (`create_noop_writer`)."""

    def __init__(self):  # no file: nothing of the base's setup applies
        self.logdir, self.path = "", None
        self._file = None

    def __repr__(self) -> str:
        return "<NoopWriter>"

    def write_values(self, step: int, values: tuple[bytes, ...]) -> None:
        """Write nothing."""

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Nothing to close."""


# -- the default writer, step and recording condition (per thread, as in TF) ----------------
class _State(threading.local):
    writer: SummaryWriter | None = None
    step = None
    condition = True


_STATE = _State()


def default_writer() -> SummaryWriter | None:
    """The writer `summary.scalar` writes to, or None."""
    return _STATE.writer


def get_step():
    """The default step (`summary.experimental.get_step`), or None."""
    return _STATE.step


def set_step(step) -> None:
    """Set the default step (an int, a Tensor or an int Variable, read at each write)."""
    _STATE.step = step


def recording_condition():
    """The innermost `record_if` condition: a bool, a callable or a boolean tensor."""
    return _STATE.condition


@contextlib.contextmanager
def default_writer_scope(writer: SummaryWriter, step=None):
    """Make `writer` (and `step`) the defaults inside the block, restoring the old ones."""
    saved = (_STATE.writer, _STATE.step)
    _STATE.writer = writer
    if step is not None:
        _STATE.step = step
    try:
        yield writer
    finally:
        _STATE.writer, _STATE.step = saved


@contextlib.contextmanager
def recording_scope(condition):
    """Record summaries inside the block only when `condition` holds (innermost wins)."""
    saved = _STATE.condition
    _STATE.condition = condition
    try:
        yield
    finally:
        _STATE.condition = saved


@atexit.register
def _close_open_writers() -> None:
    # Buffered events of writers never closed would be lost at interpreter exit.
    for writer in list(_OPEN_WRITERS):
        writer.close()
