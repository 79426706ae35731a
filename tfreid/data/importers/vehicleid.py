"""VehicleID (Liu et al., CVPR 2016), the release folder: ``image/<name>.jpg`` and
``train_test_split/`` with ``train_list.txt`` and the three test lists
``test_list_800.txt``, ``test_list_1600.txt``, ``test_list_2400.txt`` (small, medium,
large: that many vehicles), one ``image_name vehicle_id`` a line, the name without
``.jpg``. The images have no camera (camera 0 here).

Splits: train = ``train_list``, test = the chosen test list (``--test-size``), written as
one split ``test``. Protocol (fast-reid's ``vehicleid`` loaders): one random image of each
vehicle of ``test`` forms the gallery, the rest are queries, averaged over 10 seeded draws
(``tfreid.data.protocols.random_gallery_draws``); no camera rule. Recorded as
``{"protocol": {"name": "vehicleid", "gallery_per_identity": 1, "draws": 10, "seed": 0,
"camera_rule": false, "split": "test", "test_size": 800}}``. A listed image that is
missing is a DataError.
"""

import argparse
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, read_record
from tfreid.data.importers.benchmark import count_lines, list_lines, require
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

TEST_SIZES = (800, 1600, 2400)
DRAWS = 10


def _lists(test_size: int) -> dict[str, str]:
    return {"train": "train_test_split/train_list.txt",
            "test": f"train_test_split/test_list_{test_size}.txt"}


def _records(root: Path, listing: str, notes: ImportNotes,
             progress: Progress) -> list[ImageRecord]:
    records = []
    for number, name, vehicle in list_lines(root / listing):
        image = root / "image" / f"{name}.jpg"
        if not image.is_file():
            raise DataError(f"{root / listing} line {number}: {image} does not exist")
        records.append(read_record(image, vehicle, 0, notes))
        if progress:
            progress(1)
    return records


def vehicleid_records(root: str | Path, test_size: int = 800,
                      progress: Progress = None) -> ImportedDataset:
    """The train / test splits of a VehicleID folder (module docstring)."""
    root = Path(root)
    if test_size not in TEST_SIZES:
        raise DataError(f"VehicleID's test size is one of {TEST_SIZES}, got {test_size}")
    require(root, "VehicleID", "image/", *_lists(test_size).values())
    notes = ImportNotes()
    splits = {split: _records(root, listing, notes, progress)
              for split, listing in _lists(test_size).items()}
    protocol = {"name": "vehicleid", "gallery_per_identity": 1, "draws": DRAWS, "seed": 0,
                "camera_rule": False, "split": "test", "test_size": test_size}
    return ImportedDataset(splits, f"VehicleID {root} (test_list_{test_size})", None, notes,
                           {"protocol": protocol}).check()


class VehicleIDImporter(Importer):
    """``make_tfrecords vehicleid ROOT`` (module docstring)."""

    name = "vehicleid"
    help = "a VehicleID folder (image, train_test_split)"
    default_out = "tfrecords/vehicleid"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the VehicleID folder")
        parser.add_argument("--test-size", type=int, choices=TEST_SIZES, default=800,
                            help="vehicles of the test list: 800, 1600 or 2400")

    def total(self, args: argparse.Namespace) -> int | None:
        return count_lines(Path(args.root) / listing
                           for listing in _lists(args.test_size).values())

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return vehicleid_records(args.root, args.test_size, progress)
