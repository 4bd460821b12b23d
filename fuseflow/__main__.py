"""The command line: `python -m fuseflow <command>` (also installed as `fuseflow`)."""

from __future__ import annotations

import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    from fuseflow import demo

    demo.run(epochs=args.epochs)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fuseflow", description=(
        "fuseflow: a TensorFlow-2-style framework that traces Python and compiles it."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="train on the bundled digits data",
                               description="Train a model on the bundled digits data.")
    demo.add_argument("--epochs", type=int, default=10, help="passes over the training data")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
