"""The floors of DESIGN.md: a floor imports only floors below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fuseflow"
FLOORS = ["core", "graph", "compiler", "runtime", "data", "keras_api"]


def _imported_floors(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "fuseflow" and len(parts) > 1 and parts[1] in FLOORS:
                found.add(parts[1])
            elif parts[0] == "fuseflow" and len(parts) == 1:
                found.add("top")
    return found


@pytest.mark.parametrize("floor", FLOORS)
def test_floor_imports_only_floors_below(floor):
    allowed = set(FLOORS[: FLOORS.index(floor) + 1])
    if floor == "keras_api":
        allowed.add("top")  # Keras code may use the public `fuseflow` namespace
    for path in (PACKAGE / floor).rglob("*.py"):
        bad = _imported_floors(path) - allowed
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)} above {floor}"


def test_core_never_imports_the_public_package():
    for path in (PACKAGE / "core").rglob("*.py"):
        assert "top" not in _imported_floors(path), path
