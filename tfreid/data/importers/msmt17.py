"""MSMT17 (Wei et al., CVPR 2018), the ``MSMT17_V1/`` folder of the release, or the
``MSMT17_V2/`` one (the same lists and images with the faces blurred, in
``mask_train_v2/`` and ``mask_test_v2/``, as torchreid's loader reads V2): ``train/`` and
``test/`` hold ``<identity>/<name>.jpg``; ``list_train.txt`` and ``list_val.txt`` (images
of ``train/``), ``list_query.txt`` and ``list_gallery.txt`` (of ``test/``) name them,
one ``relative/path label`` a line, e.g. ``0000/0000_000_01_0303morning_0015_0.jpg 0``.
The camera is the third ``_`` field of the name (``01``: camera 1 of 15), as
torchreid's ``msmt17`` loader reads it; the identity is the line's label.

Splits: train = ``list_train`` + ``list_val`` (the paper's training set, 32,621 images of
1,041 identities; torchreid adds ``list_val`` only with ``combineall``), query =
``list_query`` (11,659), gallery = ``list_gallery`` (82,161; 3,060 identities). Test labels
restart at 0, so they are shifted past the training ones: test identity = label +
``test_identity_offset`` (the largest training label + 1). Protocol: Market-1501's camera
rule, recorded as ``{"protocol": {"name": "msmt17", "camera_rule": true,
"test_identity_offset": N}}``. A listed image that is missing is a DataError.
"""

import argparse
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, read_record
from tfreid.data.importers.benchmark import count_lines, list_lines, require
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

MSMT_LISTS = {"train": ("train", ("list_train.txt", "list_val.txt")),
              "query": ("test", ("list_query.txt",)),
              "gallery": ("test", ("list_gallery.txt",))}
MSMT_LIST_FILES = ("list_train.txt", "list_val.txt", "list_query.txt", "list_gallery.txt")
# each version's image folders of the train and test lists
MSMT_FOLDERS = {"MSMT17_V1": {"train": "train", "test": "test"},
                "MSMT17_V2": {"train": "mask_train_v2", "test": "mask_test_v2"}}


def msmt_version(root: Path) -> str:
    """``MSMT17_V1`` or ``MSMT17_V2``, by the image folders ``root`` holds (V1's if
    neither: ``require`` then names what is missing)."""
    v2 = MSMT_FOLDERS["MSMT17_V2"]
    return "MSMT17_V2" if all((root / v2[kind]).is_dir() for kind in v2) else "MSMT17_V1"


def msmt_camera(name: str) -> int | None:
    """The camera of an MSMT17 file name (its third ``_`` field), or None."""
    fields = Path(name).name.split("_")
    return int(fields[2]) if len(fields) > 3 and fields[2].isdigit() else None


def _entries(root: Path, folder: str, listing: str) -> list[tuple[Path, int, int]]:
    """(image, label, camera) of each line of ``listing``, its images in ``folder``."""
    entries = []
    for number, name, label in list_lines(root / listing):
        camera, image = msmt_camera(name), root / folder / name
        if camera is None:
            raise DataError(f"{root / listing} line {number}: {name} is not of the form "
                            "0000/0000_000_01_0303morning_0015_0.jpg")
        if not image.is_file():
            raise DataError(f"{root / listing} line {number}: {image} does not exist")
        entries.append((image, label, camera))
    return entries


def msmt17_records(root: str | Path, progress: Progress = None) -> ImportedDataset:
    """The train / query / gallery splits of an MSMT17_V1 or _V2 folder (module
    docstring)."""
    root = Path(root)
    version = msmt_version(root)
    folders = MSMT_FOLDERS[version]
    require(root, version, *(f"{folder}/" for folder in folders.values()), *MSMT_LIST_FILES)
    entries = {split: [entry for listing in listings
                       for entry in _entries(root, folders[kind], listing)]
               for split, (kind, listings) in MSMT_LISTS.items()}
    offset = max((label for _, label, _ in entries["train"]), default=-1) + 1
    notes = ImportNotes()
    splits: dict[str, list[ImageRecord]] = {}
    for split, rows in entries.items():
        shift = 0 if split == "train" else offset
        splits[split] = []
        for image, label, camera in rows:
            splits[split].append(read_record(image, label + shift, camera, notes))
            if progress:
                progress(1)
    protocol = {"name": "msmt17", "camera_rule": True, "test_identity_offset": offset}
    return ImportedDataset(splits, f"{version} {root}", None, notes,
                           {"protocol": protocol}).check()


class MSMT17Importer(Importer):
    """``make_tfrecords msmt17 ROOT`` (module docstring)."""

    name = "msmt17"
    help = ("an MSMT17_V1 folder (train, test, list_{train,val,query,gallery}.txt) or an "
            "MSMT17_V2 one (mask_train_v2, mask_test_v2, the same lists)")
    default_out = "tfrecords/msmt17"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the MSMT17_V1 or MSMT17_V2 folder")

    def total(self, args: argparse.Namespace) -> int | None:
        return count_lines(Path(args.root) / name for name in MSMT_LIST_FILES)

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return msmt17_records(args.root, progress)
