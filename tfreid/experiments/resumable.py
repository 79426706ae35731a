"""The loop of every sweep and study: one row per key, kept in a rows file, resumably.

``resumable_rows(keys, run_one, path)`` returns one row per key: the row the
rows file holds already (a run of an earlier, interrupted or shorter study),
else the row ``restore(key)`` rebuilds from a run that finished but whose row
was lost (its ``results.json``), else the row of ``run_one(key)``, which runs it.
A new row is recorded as soon as it is made, atomically: the rows file is written
whole beside itself and renamed over the old one (``tfreid.io.atomic``), so a
study killed at any moment leaves every row it finished, each complete, and the
rerun goes on with the first key that has none.

The rows file stays JSON lines, one ``{"key": ..., ...}`` object each
(``tfreid.io.jsonl``), as the studies have always written it: folders written
before (rows appended line by line, perhaps a torn last line from a kill) resume
too, and rows of other keys (other settings, other seeds) stay in the file.
"""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfreid.io.atomic import atomic_file
from tfreid.io.jsonl import read_rows

Row = dict[str, Any]


@dataclass(frozen=True)
class Finished:
    """What ``progress`` hears after each row made in this call (none for rows on file)."""

    key: str
    row: Row
    restored: bool  # rebuilt by ``restore`` from a finished run, not run now
    number: int  # 1-based among the keys that had no row on file
    todo: int  # how many keys had no row on file
    position: int  # 1-based among all keys
    total: int  # how many keys
    seconds: float  # since the first key without a row started


def record_row(path: str | Path, key: str, row: Row) -> Row:
    """Add ``row`` under ``key`` to the rows file ``path`` atomically; the row as recorded."""
    path = Path(path)
    recorded = {"key": key, **{k: v for k, v in row.items() if k != "key"}}
    line = (json.dumps(recorded, default=float) + "\n").encode("utf-8")
    before = path.read_bytes() if path.exists() else b""
    if before and not before.endswith(b"\n"):
        before += b"\n"
    with atomic_file(path) as temporary:
        temporary.write_bytes(before + line)
    return recorded


def resumable_rows(keys: Iterable[str], run_one: Callable[[str], Row], path: str | Path,
                   restore: Callable[[str], Row | None] | None = None,
                   progress: Callable[[Finished], None] | None = None) -> list[Row]:
    """The row of every key, in order (module docstring); rows are as read back from
    ``path`` (JSON), so a study gets the same rows whether it ran them now or before."""
    keys, path = list(keys), Path(path)
    position = {key: number for number, key in enumerate(keys, start=1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    done = {row["key"] for row in read_rows(path)}
    todo = [key for key in keys if key not in done]
    started = time.perf_counter()
    for number, key in enumerate(todo, start=1):
        row = restore(key) if restore is not None else None
        restored = row is not None
        row = record_row(path, key, row if restored else run_one(key))
        if progress is not None:
            progress(Finished(key, row, restored, number, len(todo), position[key], len(keys),
                              time.perf_counter() - started))
    rows = {row["key"]: row for row in read_rows(path)}
    return [rows[key] for key in keys]
