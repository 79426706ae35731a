"""VeRi-776 (Liu et al., ECCV 2016 and IEEE TMM 2018), the ``VeRi/`` folder of the release:
``image_train/`` -> train (37,778 images of 576 vehicles), ``image_query/`` -> query
(1,678), ``image_test/`` -> gallery (11,579 of 200 vehicles), each split the images its
``name_train.txt`` / ``name_query.txt`` / ``name_test.txt`` lists, one file name a line.
Names like ``0001_c001_00016450_0.jpg`` give vehicle 1 and camera 1 (of 20); the rest is
the frame and an index. A listed image that is missing is a DataError; images of a folder
that its list leaves out are skipped and counted in the notes.

Protocol (the release's ``jk_index.txt`` marks, for each query, the gallery images of its
vehicle and camera; fast-reid's ``veri`` loader): Market-1501's camera rule, recorded as
``{"protocol": {"name": "veri776", "camera_rule": true}}``.
"""

import argparse
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, count_images, images_in
from tfreid.data.importers.benchmark import name_parser, parsed_records, require
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

VERI_SPLITS = {"train": ("image_train", "name_train.txt"),
               "query": ("image_query", "name_query.txt"),
               "gallery": ("image_test", "name_test.txt")}
VERI_EXAMPLE = "0001_c001_00016450_0.jpg"
parse_veri_name = name_parser(r"^(\d+)_c(\d+)_\d+_\d+\.jpe?g$")


def _listed(root: Path, folder: str, listing: str, notes: ImportNotes) -> list[Path]:
    """The images of ``folder`` that ``listing`` names, in its order; the others noted."""
    try:
        names = root.joinpath(listing).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {root / listing}: {error}") from None
    present = {path.name: path for path in images_in(root / folder, notes)}
    missing = [name for name in names if name not in present]
    if missing:
        raise DataError(f"{root / listing} lists {len(missing)} image(s) not in {folder}/, "
                        f"first {missing[0]}")
    for name in sorted(set(present) - set(names)):
        notes.add(f"skipped, not listed in {listing}", str(present[name]))
    return [present[name] for name in names]


def veri776_records(root: str | Path, progress: Progress = None) -> ImportedDataset:
    """The train / query / gallery splits of a VeRi-776 folder (module docstring)."""
    root = Path(root)
    require(root, "VeRi-776", *(part for folder, listing in VERI_SPLITS.values()
                                for part in (folder + "/", listing)))
    notes = ImportNotes()
    splits: dict[str, list[ImageRecord]] = {}
    for split, (folder, listing) in VERI_SPLITS.items():
        splits[split] = parsed_records(_listed(root, folder, listing, notes), parse_veri_name,
                                       VERI_EXAMPLE, notes, progress)
    protocol = {"name": "veri776", "camera_rule": True}
    return ImportedDataset(splits, f"VeRi-776 {root}", None, notes,
                           {"protocol": protocol}).check()


class VeRi776Importer(Importer):
    """``make_tfrecords veri776 ROOT`` (module docstring)."""

    name = "veri776"
    help = "a VeRi-776 folder (image_train, image_query, image_test, name_*.txt)"
    default_out = "tfrecords/veri776"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the VeRi folder")

    def total(self, args: argparse.Namespace) -> int:
        return count_images(args.root, tuple(folder for folder, _ in VERI_SPLITS.values()))

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return veri776_records(args.root, progress)
