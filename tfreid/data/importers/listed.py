"""A list of images: ``make_tfrecords list FILE.csv``, one row per image, your own protocol.

Columns (a header row names them): ``path`` (relative to the CSV's folder, or
absolute), ``identity`` (a number or a name), optional ``camera`` (a number; where it
is missing or empty, an image counts as its own camera, numbered by its place among its
identity's images, as the folder importer does, so the camera rule leaves no match out)
and optional ``split`` (``train``, ``query`` or ``gallery``). With
a split column you fix which images are queries and which identities train;
without one, a seeded ``test_fraction`` of identities is held out and each
gives one query, as the folder importer does. Identities given by name are
numbered in sorted order and the manifest keeps the names.

Example ``people.csv``::

    path,identity,camera,split
    cam1/0001.jpg,alice,1,query
    cam2/0007.jpg,alice,2,gallery
    cam1/0002.jpg,bob,1,train
"""

import argparse
import csv
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, read_record
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError
from tfreid.option_types import fraction, seed

SPLITS = ("train", "query", "gallery")


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    if not rows or not {"path", "identity"} <= set(rows[0]):
        raise DataError(f"{path} needs a header row with at least the columns path and "
                        "identity (and optionally camera, split)")
    return rows


def _identity_numbers(rows: list[dict[str, str]]) -> tuple[dict[str, int], dict[int, str] | None]:
    names = sorted({row["identity"].strip() for row in rows})
    if all(name.isdigit() for name in names):
        return {name: int(name) for name in names}, None
    numbers = {name: number for number, name in enumerate(names)}
    return numbers, {number: name for name, number in numbers.items()}


def _split_rows(rows, has_split: bool, test_fraction: float, seed: int) -> list[str]:
    """The split of each row: its own column, or identity-disjoint held-out queries."""
    import numpy as np

    if has_split:
        return [row["split"].strip() for row in rows]
    identities = sorted({row["identity"].strip() for row in rows})
    rng = np.random.default_rng([seed, 17])
    count = min(len(identities) - 2, max(2, round(len(identities) * test_fraction)))
    held = set(rng.choice(identities, count, replace=False).tolist()) if count > 0 else set()
    splits, queried = [], set()
    for row in rows:
        identity = row["identity"].strip()
        if identity not in held:
            splits.append("train")
        else:
            splits.append("gallery" if identity in queried else "query")
            queried.add(identity)
    return splits


def list_records(path: str | Path, test_fraction: float = 0.3, seed: int = 0,
                 progress: Progress = None) -> ImportedDataset:
    """The images a CSV list names, split as it says (module docstring)."""
    path = Path(path)
    rows = _rows(path)
    numbers, names = _identity_numbers(rows)
    splits: dict[str, list[ImageRecord]] = {split: [] for split in SPLITS}
    notes = ImportNotes()
    row_splits = _split_rows(rows, "split" in rows[0], test_fraction, seed)
    seen: dict[str, int] = {}
    for line, (row, split) in enumerate(zip(rows, row_splits, strict=True), start=2):
        if split not in SPLITS:
            raise DataError(f"{path} line {line}: split must be one of {', '.join(SPLITS)}, "
                            f"got {split!r}")
        identity = row["identity"].strip()
        seen[identity] = seen.get(identity, -1) + 1
        camera = (row.get("camera") or "").strip() or str(seen[identity])
        if not camera.isdigit():
            raise DataError(f"{path} line {line}: camera must be a whole number >= 0, got "
                            f"{camera!r}")
        image = Path(row["path"].strip())
        image = image if image.is_absolute() else path.parent / image
        if not image.is_file():
            raise DataError(f"{path} line {line}: {image} does not exist")
        splits[split].append(read_record(image, numbers[identity], int(camera),
                                         notes))
        if progress:
            progress(1)
    return ImportedDataset(splits, f"image list {path}", names, notes).check()


class ListImporter(Importer):
    """``make_tfrecords list FILE.csv`` (module docstring)."""

    name = "list"
    help = "a CSV list: path, identity[, camera][, split] per image"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("csv", help="the list (module docstring of "
                                        "tfreid.data.importers.listed)")
        parser.add_argument("--test-fraction", type=fraction, default=0.3,
                            help="without a split column: share of identities held out")
        parser.add_argument("--seed", type=seed, default=0, help="seed of the held-out draw")

    def total(self, args: argparse.Namespace) -> int | None:
        try:
            return max(0, sum(1 for _ in Path(args.csv).open(encoding="utf-8")) - 1)
        except (OSError, UnicodeDecodeError):
            return None

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return list_records(args.csv, args.test_fraction, args.seed, progress)
