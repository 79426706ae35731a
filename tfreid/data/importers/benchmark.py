"""What the public re-id benchmark importers share: checking that a release has its parts,
reading the images whose file names carry (identity, camera), and reading the
``name label`` list files some releases define their splits with.

Each benchmark module (``dukemtmcreid``, ``msmt17``, ``veri776``, ``cuhk03``,
``vehicleid``, ``market1501_500k``) describes its own layout and protocol; the protocol
goes into the manifest as ``{"protocol": {"name": ..., "camera_rule": ...}}`` so that
evaluation applies it without being told. ``camera_rule`` is Market-1501's rule (Zheng et
al., ICCV 2015): gallery images of the query's identity taken by the query's camera are
left out of its ranking.
"""

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from tfreid.data.imported import ImportNotes
from tfreid.data.importers.base import Progress, read_record
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

NameParser = Callable[[str], tuple[int, int] | None]


def require(root: Path, label: str, *parts: str) -> None:
    """DataError naming the first of ``parts`` (paths under ``root``) that is missing."""
    for part in parts:
        if not (root / part).exists():
            raise DataError(f"{root} is not a {label} folder: {part} is missing")


def name_parser(pattern: str) -> NameParser:
    """(identity, camera) from groups 1 and 2 of a full match of ``pattern``, or None."""
    compiled = re.compile(pattern, re.IGNORECASE)

    def parse(name: str) -> tuple[int, int] | None:
        match = compiled.match(name)
        return (int(match.group(1)), int(match.group(2))) if match else None

    return parse


def parsed_records(paths: Iterable[Path], parse: NameParser, example: str,
                   notes: ImportNotes, progress: Progress = None) -> list[ImageRecord]:
    """Records of the images ``parse`` labels; names it cannot parse (``example`` shows the
    form) and junk (identity -1) are skipped and counted in ``notes``."""
    records = []
    for path in paths:
        parsed = parse(path.name)
        if parsed is None:
            notes.add(f"skipped, name not of the form {example}", str(path))
        elif parsed[0] == -1:
            notes.add("skipped, junk (identity -1)", str(path))
        else:
            records.append(read_record(path, *parsed, notes))
        if progress:
            progress(1)
    return records


def list_lines(path: Path) -> list[tuple[int, str, int]]:
    """(line number, name, label) of each ``name label`` line of a list file; blank lines
    are passed over, any other line is a DataError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    entries = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[1].isdigit():
            raise DataError(f"{path} line {number}: expected 'name label' (a whole number), "
                            f"got {line.strip()!r}")
        entries.append((number, fields[0], int(fields[1])))
    return entries


def count_lines(paths: Iterable[Path]) -> int | None:
    """How many lines the files hold together (a progress bar's total), None if unreadable."""
    try:
        return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in paths)
    except (OSError, UnicodeDecodeError):
        return None
