"""Event files: CRC-32C, record framing, Event bytes, and `fuseflow.summary` eagerly and traced."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

import fuseflow as ff
import fuseflow.summary as summary
from fuseflow.runtime import summary as events


def _values(writer) -> list[tuple[int, str, float]]:
    writer.flush()
    return [(e["step"], v["tag"], v["simple_value"]) for e in events.read_events(writer.path)
            for v in e["values"] if "simple_value" in v]


@pytest.mark.parametrize("data,crc", [(b"", 0x0), (b"123456789", 0xE3069283),
                                      (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43)])
def test_crc32c_known_vectors(data, crc):
    assert events.crc32c(data) == crc


def test_masked_crc_and_record_framing():
    assert events.masked_crc32c(b"123456789") == 0xC78AB0E5
    record = events.encode_record(b"abc")
    assert record[:8] == struct.pack("<Q", 3)
    assert struct.unpack("<I", record[8:12])[0] == events.masked_crc32c(record[:8])
    assert record[12:15] == b"abc"
    assert struct.unpack("<I", record[15:])[0] == events.masked_crc32c(b"abc")


# Serialized by the reference protobuf implementation for the same messages.
GOLDEN = {
    "scalar": "09000000000000f83f10072a0d0a0b0a046c6f7373150000803e",
    "version": "09000000000000004010fdffffffffffffffff011a0d627261696e2e4576656e743a32",
    "histogram": "09000000000000e03f10012a580a560a01682a5109000000000000f03f11000000000000084019"
                 "0000000000000840210000000000001840290000000000002c4032100000000000000040000000"
                 "00000008403a10000000000000f03f0000000000000040",
}
HISTO = {"min": 1.0, "max": 3.0, "num": 3.0, "sum": 6.0, "sum_squares": 14.0,
         "bucket_limit": [2.0, 3.0], "bucket": [1.0, 2.0]}


def test_event_bytes_match_the_protobuf_encoding():
    scalar = events.encode_event(1.5, 7, values=(events.encode_scalar_value("loss", 0.25),))
    assert scalar.hex() == GOLDEN["scalar"]
    version = events.encode_event(2.0, -3, file_version="brain.Event:2")
    assert version.hex() == GOLDEN["version"]
    histogram = events.encode_event(0.5, 1, values=(events.encode_histogram_value("h", HISTO),))
    assert histogram.hex() == GOLDEN["histogram"]


def test_decode_event_reads_golden_bytes():
    assert events.decode_event(bytes.fromhex(GOLDEN["scalar"])) == {
        "wall_time": 1.5, "step": 7, "values": [{"tag": "loss", "simple_value": 0.25}]}
    version = events.decode_event(bytes.fromhex(GOLDEN["version"]))
    assert version["step"] == -3 and version["file_version"] == "brain.Event:2"
    assert events.decode_event(bytes.fromhex(GOLDEN["histogram"]))["values"] == [
        {"tag": "h", "histo": HISTO}]


def test_writer_file_name_and_first_event(tmp_path):
    writer = summary.create_file_writer(str(tmp_path / "run"))
    name = os.path.basename(writer.path)
    assert name.startswith("events.out.tfevents.") and name.endswith(".v2")
    assert os.path.dirname(writer.path) == str(tmp_path / "run")
    first = events.read_events(writer.path)[0]
    assert first["file_version"] == "brain.Event:2" and first["values"] == []


def test_scalar_eagerly(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        assert summary.scalar("loss", 0.5, step=0)
        assert summary.scalar("loss", ff.constant(0.25), step=np.int64(1))
        assert summary.scalar("count", 3, step=ff.constant(2))
    assert _values(writer) == [(0, "loss", 0.5), (1, "loss", 0.25), (2, "count", 3.0)]


def test_no_default_writer_writes_nothing(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    assert summary.scalar("loss", 1.0, step=0) is False
    assert not summary.should_record_summaries()
    with summary.create_noop_writer().as_default():
        assert summary.scalar("loss", 1.0, step=0) is False
    assert _values(writer) == []


def test_default_step_and_as_default_step(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        with pytest.raises(ValueError, match="no step set"):
            summary.scalar("x", 1.0)
    with writer.as_default(step=5):
        summary.scalar("x", 1.0)
        assert summary.experimental.get_step() == 5
    assert summary.experimental.get_step() is None
    summary.experimental.set_step(9)
    try:
        with writer.as_default():
            summary.scalar("x", 2.0)
    finally:
        summary.experimental.set_step(None)
    assert _values(writer) == [(5, "x", 1.0), (9, "x", 2.0)]


def test_record_if(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=0):
        with summary.record_if(False):
            assert summary.scalar("off", 1.0) is False
            with summary.record_if(True):
                assert summary.scalar("inner", 2.0)
        with summary.record_if(lambda: True):
            assert summary.should_record_summaries()
            summary.scalar("callable", 3.0)
    assert [tag for _, tag, _ in _values(writer)] == ["inner", "callable"]


@pytest.mark.parametrize("data,match", [(np.zeros(3), "scalar"), ("text", "numeric")])
def test_scalar_rejects_bad_data(tmp_path, data, match):
    with summary.create_file_writer(str(tmp_path)).as_default(step=0):
        with pytest.raises(ValueError, match=match):
            summary.scalar("x", data)


def test_scalar_inside_function_writes_every_call(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    step = ff.Variable(0, dtype=ff.int64)

    @ff.function
    def train_step(x):
        with writer.as_default():
            summary.scalar("x2", x * 2.0, step=step)
        step.assign_add(1)
        return x + 1.0

    for i in range(3):
        train_step(ff.constant(float(i)))
    assert _values(writer) == [(0, "x2", 0.0), (1, "x2", 2.0), (2, "x2", 4.0)]
    assert train_step.experimental_get_tracing_count() == 1


def test_record_if_callable_is_evaluated_at_each_traced_call(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    enabled = {"on": True}

    @ff.function(jit_compile=False)
    def log(x):
        with writer.as_default(step=0), summary.record_if(lambda: enabled["on"]):
            summary.scalar("x", x)
        return x

    log(ff.constant(1.0))
    enabled["on"] = False
    log(ff.constant(2.0))
    assert _values(writer) == [(0, "x", 1.0)]


def test_histogram(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=3):
        summary.histogram("w", np.array([0.0, 1.0, 1.0, 4.0]), buckets=4)
        summary.histogram("const", np.full(5, 2.0))
    writer.flush()
    histos = {v["tag"]: v["histo"] for e in events.read_events(writer.path)
              for v in e["values"]}
    assert histos["w"]["bucket"] == [1.0, 2.0, 0.0, 1.0]
    assert histos["w"]["bucket_limit"] == [1.0, 2.0, 3.0, 4.0]
    assert (histos["w"]["min"], histos["w"]["max"], histos["w"]["sum"]) == (0.0, 4.0, 6.0)
    assert histos["const"]["bucket"] == [5.0] and histos["const"]["num"] == 5.0


def test_flush_and_close(tmp_path):
    writer = summary.create_file_writer(str(tmp_path), max_queue=100)
    with writer.as_default(step=1):
        summary.scalar("x", 1.0)
        summary.flush()
    assert _values(writer) == [(1, "x", 1.0)]
    writer.close()
    with writer.as_default(step=2), pytest.raises(ValueError, match="closed"):
        summary.scalar("x", 2.0)


@pytest.mark.parametrize("damage", ["truncate", "flip_length", "flip_data"])
def test_corrupt_file_is_a_named_error(tmp_path, damage):
    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=0):
        summary.scalar("x", 1.0)
    writer.close()
    data = bytearray(open(writer.path, "rb").read())
    if damage == "truncate":
        data = data[:-3]
    else:
        data[-20 if damage == "flip_data" else -30] ^= 0xFF
    with open(writer.path, "wb") as stream:
        stream.write(data)
    with pytest.raises(ValueError, match="events.out.tfevents"):
        events.read_events(writer.path)


def test_record_if_tensor_condition_inside_function(tmp_path):
    writer = summary.create_file_writer(str(tmp_path))

    @ff.function
    def log(x, step):
        with writer.as_default(step=step), summary.record_if(step % 2 == 0):
            summary.scalar("x", x)
        return x

    for i in range(4):
        log(ff.constant(float(i)), ff.constant(i, dtype=ff.int64))
    assert _values(writer) == [(0, "x", 0.0), (2, "x", 2.0)]
