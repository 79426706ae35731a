"""Market-1501: ``bounding_box_train/`` -> train, ``query/`` -> query, ``bounding_box_test/``
-> gallery. Names like ``0002_c1s1_000451_03.jpg`` give identity 2 and camera 1. Junk
images (identity -1) are dropped; distractors (identity 0) stay in the gallery. Files
whose names do not parse are skipped; both are counted in the notes. The manifest records
the protocol (``{"name": "market1501", "camera_rule": true}``; ``tfreid.workflows.
evaluation``)."""

import argparse
import re
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, count_images, images_in
from tfreid.data.importers.benchmark import parsed_records
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

MARKET_NAME = re.compile(r"^(-?\d+)_c(\d+)s\d+_\d+_\d+\.jpe?g$", re.IGNORECASE)
MARKET_SPLITS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}


def parse_market_name(name: str) -> tuple[int, int] | None:
    """(identity, camera) from a Market-1501 file name, or None if it is not one."""
    match = MARKET_NAME.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def market1501_records(root: str | Path, progress: Progress = None) -> ImportedDataset:
    """The train / query / gallery splits of a Market-1501 folder."""
    root = Path(root)
    notes = ImportNotes()
    splits: dict[str, list[ImageRecord]] = {}
    for split, folder in MARKET_SPLITS.items():
        directory = root / folder
        if not directory.is_dir():
            raise DataError(f"{root} is not a Market-1501 folder: {folder}/ is missing")
        splits[split] = parsed_records(images_in(directory, notes), parse_market_name,
                                       "0002_c1s1_000451_03.jpg", notes, progress)
    return ImportedDataset(splits, f"Market-1501 {root}", None, notes,
                           {"protocol": {"name": "market1501", "camera_rule": True}}).check()


class Market1501Importer(Importer):
    """``make_tfrecords market1501 ROOT`` (module docstring)."""

    name = "market1501"
    help = "a Market-1501 folder (bounding_box_train, query, bounding_box_test)"
    default_out = "tfrecords/market1501"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the Market-1501 folder")

    def total(self, args: argparse.Namespace) -> int:
        return count_images(args.root, tuple(MARKET_SPLITS.values()))

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return market1501_records(args.root, progress)
