"""The command line: `fuseflow demo | inspect | bench | cache` (also `python -m fuseflow`)."""

from __future__ import annotations

import argparse

from fuseflow.cli import bench, cache, demo, inspect


def build_parser() -> argparse.ArgumentParser:
    """The `fuseflow` parser with one subcommand per module of this package."""
    parser = argparse.ArgumentParser(prog="fuseflow", description=(
        "fuseflow: a TensorFlow-2-style framework that traces Python and compiles it."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (demo, inspect, bench, cache):
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)
