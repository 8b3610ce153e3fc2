"""Kruispunt on the command line: the same functions the app calls (`python cli.py --help`).

The commands live in the `commands` package, one module per area; this file is the entry point.
Exit codes: 0 success, 1 refused input (one line on stderr saying why), 2 usage.
"""

from __future__ import annotations

import sys

from commands import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
