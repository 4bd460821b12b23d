"""Every program in examples/ runs, at tiny sizes, and prints its result."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, monkeypatch, capsys):
    monkeypatch.setenv("FUSEFLOW_EXAMPLE_TINY", "1")
    namespace = runpy.run_path(str(path), run_name="example")
    namespace["main"]()
    assert capsys.readouterr().out.strip()
