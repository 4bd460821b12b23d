"""The command line: every command's --help, and each command run at tiny sizes."""

from __future__ import annotations

import json
import os

import pytest

from fuseflow.cli import main

# Each test loads the script afresh, so its function is traced by new function objects.
pytestmark = pytest.mark.filterwarnings("ignore::fuseflow.graph.retracing.RetracingWarning")

SCRIPT = '''
import fuseflow as tf
w = tf.Variable(tf.zeros([8, 3]))

def predict(x):
    return tf.nn.softmax(tf.tanh(tf.matmul(x, w) * 2.0 + 1.0))
'''


@pytest.mark.parametrize("argv", [[], ["demo"], ["inspect"], ["bench"], ["cache"]])
def test_help_is_available_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage: fuseflow" in capsys.readouterr().out


def test_demo_trains_three_ways_and_prints_every_section(capsys):
    assert main(["demo", "--epochs", "1", "--limit", "256"]) == 0
    out = capsys.readouterr().out
    for section in ("== eager", "== graph", "== compiled", "8/8 [====",
                    "final test accuracy:", "-> agree", "µs/step", "compiled train_function:"):
        assert section in out, section


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "model_code.py"
    path.write_text(SCRIPT)
    return str(path)


@pytest.mark.parametrize("stage, expected", [("traced", "matmul"), ("optimized", "graph"),
                                             ("passes", "eliminate_dead_code"), ("llvm", "define")])
def test_inspect_prints_a_stage(script, stage, expected, capsys):
    assert main(["inspect", f"{script}:predict", "--args", "float32[4,8]", "--stage",
                 stage]) == 0
    assert expected in capsys.readouterr().out


def test_inspect_accepts_unknown_dims_and_writes_dot(script, tmp_path, capsys):
    dot = tmp_path / "graph.dot"
    assert main(["inspect", f"{script}:predict", "--args", "float32[?,8]",
                 "--dot", str(dot)]) == 0
    assert "f32[?,8]" in capsys.readouterr().out
    assert dot.read_text().startswith("digraph")


@pytest.mark.parametrize("target, args, message", [
    ("{script}:predict", ["float32(4,8)"], "bad --args spec"),
    ("{script}:nothing", ["float32[4,8]"], "has no 'nothing'"),
    ("missing.py:predict", [], "no such file"),
])
def test_inspect_reports_bad_input_clearly(script, target, args, message):
    with pytest.raises(SystemExit, match=message):
        main(["inspect", target.format(script=script), "--args", *args])


def test_cache_info_and_clear(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / ("ab" + "0" * 62 + ".o")).write_bytes(b"x" * 2048)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "entries: 1" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1 entries" in capsys.readouterr().out
    assert not any(tmp_path.rglob("*.o"))


def _cache_entry(directory, key: str, meta) -> None:
    (directory / key[:2]).mkdir(exist_ok=True)
    (directory / key[:2] / (key + ".o")).write_bytes(b"x" * 1024)
    if meta is not None:
        text = meta if isinstance(meta, str) else json.dumps(meta)
        (directory / key[:2] / (key + ".json")).write_text(text)


def test_cache_info_lists_metadata_and_notes_corrupt_sidecars(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUSEFLOW_CACHE_DIR", str(tmp_path))
    _cache_entry(tmp_path, "cd" + "1" * 62, {"name": "train_step", "created": 1.7e9,
                                             "cpu": "testcpu", "object_size": 1000})
    _cache_entry(tmp_path, "ef" + "2" * 62, "{broken")
    _cache_entry(tmp_path, "01" + "3" * 62, None)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "entries: 3" in out
    line = next(x for x in out.splitlines() if "train_step" in x)
    assert "testcpu" in line and "1.0 KiB" in line and "cd1111" in line
    assert "(metadata unreadable)" in out and "(no metadata)" in out
    assert "note: 1 entry has an unreadable metadata file" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 3 entries" in capsys.readouterr().out
    assert not any(tmp_path.rglob("*.o")) and not any(tmp_path.rglob("*.json"))


def test_bench_runs_workloads_and_writes_json(tmp_path, capsys):
    out_path = tmp_path / "bench.json"
    assert main(["bench", "W5", "W6", "--budget", "0.01", "--json", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "| W5 |" in out and "| W6 |" in out and "compiled/baseline" in out
    results = json.loads(out_path.read_text())["results"]
    assert [r["key"] for r in results] == ["W5", "W6"]
    assert all(r[side] > 0 for r in results for side in ("numpy", "eager", "graph", "compiled"))


def test_bench_rejects_an_unknown_workload():
    with pytest.raises(SystemExit, match="unknown workload"):
        main(["bench", "W9", "--budget", "0.01"])


def test_python_dash_m_entry_point_matches_cli():
    import fuseflow.__main__ as entry

    assert entry.main is main
    assert os.path.basename(entry.__file__) == "__main__.py"
