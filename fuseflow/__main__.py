"""The command line: `python -m fuseflow <command>` (also installed as `fuseflow`)."""

from __future__ import annotations

import sys

from fuseflow.cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
