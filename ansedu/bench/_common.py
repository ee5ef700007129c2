"""What every benchmark section shares: timing, the table, the JSON output, the command line."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np

__all__ = ["best_time", "markdown_table", "section_parser", "emit", "environment"]


def best_time(function, repeat: int):
    """Run ``function`` ``repeat`` times; return (its last result, the fastest time in seconds)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def markdown_table(header, rows) -> str:
    """A Markdown table; numbers are formatted by the caller, cells are right-aligned but the first."""
    cells = [list(map(str, header))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(header))]
    def line(row):
        return "| " + " | ".join(c.ljust(w) if j == 0 else c.rjust(w)
                                 for j, (c, w) in enumerate(zip(row, widths))) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def section_parser(name: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m ansedu.bench {name}", description=description)
    parser.add_argument("--json", action="store_true",
                        help="print the same figures as JSON instead of tables")
    return parser


def environment() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()}


def emit(results: dict, as_json: bool, text: str) -> None:
    """Print ``text`` (the tables), or ``results`` as JSON with ``--json``."""
    if as_json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print(text)


def progress(message: str) -> None:
    """A line on standard error, so that standard output stays the table (or the JSON)."""
    print(message, file=sys.stderr, flush=True)
