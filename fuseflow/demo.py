"""The main job, kept at its old import path: see `fuseflow.cli.demo`."""

from __future__ import annotations

from fuseflow.cli.demo import build_model, load_digits, run

__all__ = ["build_model", "load_digits", "run"]
