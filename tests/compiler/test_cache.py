"""Kernel cache on disk: a second process loads without compiling; corruption recompiles."""

from __future__ import annotations

import glob
import json
import os

import pytest

from fuseflow.compiler import cache
from tests.helpers import run_in_new_process

PROGRAM = """
import json, warnings
import numpy as np
import fuseflow as ff
from fuseflow.compiler import cache
f = ff.function(lambda x: ff.tanh(x) * 3.0 + 1.0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    y = f(ff.constant(np.arange(5, dtype=np.float32))).numpy()
print(json.dumps({"stats": cache.stats, "y": y.tolist(),
                  "warnings": [str(w.message) for w in caught]}))
"""


def test_second_process_loads_from_disk_and_corruption_recompiles(tmp_path):
    first = run_in_new_process(PROGRAM, tmp_path)
    assert first["stats"]["compiled"] >= 1
    second = run_in_new_process(PROGRAM, tmp_path)
    assert second["stats"]["compiled"] == 0 and second["stats"]["disk_hits"] >= 1
    assert second["y"] == first["y"]
    for path in glob.glob(str(tmp_path / "*" / "*.o")):
        with open(path, "r+b") as f:
            f.seek(100)
            f.write(b"garbage!")
    third = run_in_new_process(PROGRAM, tmp_path)
    assert third["stats"]["compiled"] >= 1
    assert any("corrupt" in w for w in third["warnings"])
    assert third["y"] == first["y"]


def _fresh_entry(tmp_path, monkeypatch, name: str | None = "my_graph"):
    """Compile a tiny unique module into an empty disk cache; returns the object file's path."""
    from fuseflow.compiler import cache
    from fuseflow.compiler.codegen import get_codegen

    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    ir_text = (f'; ModuleID = "mod_{tmp_path.name}"\n'
               f'define i64 @"f_{tmp_path.name}"(i64 %x) {{\n  ret i64 %x\n}}\n')
    cache.load_or_compile(get_codegen(), ir_text, name=name)
    (path,) = glob.glob(str(tmp_path / "*" / "*.o"))
    return path


def test_disk_entry_has_a_metadata_sidecar(tmp_path, monkeypatch):
    from fuseflow.compiler import cache
    from fuseflow.compiler.codegen import get_codegen

    path = _fresh_entry(tmp_path, monkeypatch)
    meta = cache.read_metadata(path)
    assert meta["name"] == "my_graph"
    assert meta["cpu"] == get_codegen().cpu and len(meta["features_digest"]) == 16
    assert meta["object_size"] == len(open(path, "rb").read()) - len(cache.MAGIC) - 64
    assert meta["llvmlite_version"] and meta["fuseflow_version"]
    assert abs(meta["created"] - os.path.getmtime(path)) < 60
    assert not glob.glob(str(tmp_path / "*" / "*.tmp"))  # written atomically, nothing left over


def test_sidecar_name_defaults_to_the_module_name(tmp_path, monkeypatch):
    from fuseflow.compiler import cache

    path = _fresh_entry(tmp_path, monkeypatch, name=None)
    assert cache.read_metadata(path)["name"] == f"mod_{tmp_path.name}"


def test_corrupt_or_missing_sidecar_is_ignored(tmp_path, monkeypatch):
    from fuseflow.compiler import cache

    path = _fresh_entry(tmp_path, monkeypatch)
    with open(cache.sidecar_path(path), "w") as f:
        f.write("{not json")
    assert cache.read_metadata(path) is None
    os.remove(cache.sidecar_path(path))
    assert cache.read_metadata(path) is None
    with open(cache.sidecar_path(path), "w") as f:
        json.dump([1, 2], f)  # valid JSON, wrong shape
    assert cache.read_metadata(path) is None


def test_lazy_entry_loads_from_disk_without_building_ir(tmp_path, monkeypatch):
    from fuseflow.compiler import cache
    from fuseflow.compiler.codegen import get_codegen

    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    symbol = f"lazy_{tmp_path.name}"
    built = []

    def make_ir() -> str:
        built.append(1)
        return f'define i64 @"{symbol}"(i64 %x) {{\n  ret i64 %x\n}}\n'

    key_text = f"plan digest {tmp_path.name}"
    before = set(cache._memory)
    first = cache.load_or_compile_lazy(get_codegen(), key_text, make_ir, name="lazy_graph")
    assert built == [1] and first.address(symbol)
    for key in set(cache._memory) - before:  # as a new process: only the disk entry is left
        del cache._memory[key]
    hits = cache.stats["disk_hits"]

    def must_not_build() -> str:
        raise AssertionError("a disk hit must not build IR")

    cache.load_or_compile_lazy(get_codegen(), key_text, must_not_build)
    assert cache.stats["disk_hits"] == hits + 1
    (path,) = glob.glob(str(tmp_path / "*" / "*.o"))
    assert cache.read_metadata(path)["name"] == "lazy_graph"
    with pytest.raises(AssertionError, match="must not build"):  # another key: builds
        cache.load_or_compile_lazy(get_codegen(), key_text + " changed", must_not_build)


def _aged_files(directory, count: int, size: int) -> list:
    """`count` files of `size` bytes, the first the oldest."""
    paths = []
    for i in range(count):
        path = directory / f"{i:02d}" / f"entry{i}.o"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
        paths.append(path)
    return paths


def test_prune_deletes_least_recently_used_files_down_to_80_percent(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    paths = _aged_files(tmp_path, 10, 1000)
    assert cache.prune(limit=10_000) == 0  # at the bound: nothing to do
    assert cache.prune(limit=9_000) == 3  # 10,000 bytes -> at most 7,200
    assert [p.exists() for p in paths] == [False] * 3 + [True] * 7


def test_a_hit_makes_an_entry_the_last_to_be_pruned(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    oldest = tmp_path / "aa" / "oldest.o"
    cache.write_entry(str(oldest), b"payload")
    os.utime(oldest, (1_000_000, 1_000_000))
    others = _aged_files(tmp_path, 5, 100)
    assert cache.read_entry(str(oldest)) == b"payload"
    cache.prune(limit=300)
    assert oldest.exists() and not others[0].exists()


def test_writes_prune_at_most_once_a_day(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FUSEFLOW_CACHE_MAX_MB", "0.001")  # 1,048 bytes
    monkeypatch.setattr(cache, "_pruned", [False])
    old = _aged_files(tmp_path, 3, 1000)
    cache.write_entry(str(tmp_path / "bb" / "new.o"), b"y" * 10)
    assert not any(p.exists() for p in old)  # the first write of the process pruned
    assert (tmp_path / ".pruned").exists()
    monkeypatch.setattr(cache, "_pruned", [False])  # a new process, the same day
    again = _aged_files(tmp_path, 3, 1000)
    cache.write_entry(str(tmp_path / "bb" / "newer.o"), b"z" * 10)
    assert all(p.exists() for p in again)
