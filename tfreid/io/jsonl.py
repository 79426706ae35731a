"""JSON-lines result files: one row per finished run, appended whole and flushed.

A results file is a sweep's memory. A full disk or a kill can leave its *last*
line incomplete: reading drops such a line with a warning (and cuts it from the
file, so the next row starts on a line of its own), and the row is run again.
A corrupt line anywhere else is an error: something other than tfreid changed
the file.
"""

import json
import os
import warnings
from pathlib import Path
from typing import Any

from tfreid.errors import DataError


def read_rows(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a results file (none if it does not exist yet)."""
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except (ValueError, UnicodeDecodeError):
            if any(rest.strip() for rest in lines[number:]):
                raise DataError(f"{path} line {number} is not JSON; fix or remove it") from None
            warnings.warn(f"{path}: dropping its incomplete last line {number} (an interrupted "
                          "write); its run is done again, or its row restored from a finished run's"
                          " results", stacklevel=2)
            with open(path, "rb+") as handle:
                handle.truncate(sum(len(kept) for kept in lines[:number - 1]))
            return rows
    if data and not data.endswith(b"\n"):
        with open(path, "ab") as handle:  # a complete last row that lost its newline
            handle.write(b"\n")
    return rows


def append_row(path: str | os.PathLike, row: dict[str, Any]) -> None:
    """Append one JSON line and flush it to disk."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, default=float) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
