"""Image folders: ``root/<identity>/*.jpg|jpeg|png|bmp|gif``.

Identity names are sorted and numbered from 0 (the manifest keeps the names).
An image's camera is taken from its file name with ``camera_pattern`` (a
regular expression whose first group is the camera number, e.g. ``_c(\\d+)``)
or, without one, is its position within its identity folder, so every view
counts as its own camera. A seeded ``test_fraction`` of identities is held
out of training; each held-out identity gives one query, the rest of its
images go to the gallery (``make_tfrecords list`` fixes queries yourself).
"""

import argparse
import re
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, count_images, images_in, read_record
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError
from tfreid.option_types import fraction, seed


def _camera_of(path: Path, position: int, pattern: re.Pattern | None) -> int:
    if pattern is None:
        return position
    match = pattern.search(path.name)
    if match is None or not match.groups() or not match.group(1).isdigit():
        raise DataError(f"--camera-pattern {pattern.pattern!r} finds no camera number in "
                        f"{path}")
    return int(match.group(1))


def image_folder_records(root: str | Path, test_fraction: float = 0.3, seed: int = 0,
                         progress: Progress = None,
                         camera_pattern: str | None = None) -> ImportedDataset:
    """An image-folder collection (module docstring)."""
    import numpy as np

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist")
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test fraction must lie in (0, 1), got {test_fraction}")
    pattern = re.compile(camera_pattern) if camera_pattern else None
    notes = ImportNotes()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and images_in(p))
    if len(folders) < 4:
        raise DataError(f"{root} has {len(folders)} identity folders with images; need >= 4")
    rng = np.random.default_rng([seed, 17])
    count = min(len(folders) - 2, max(2, round(len(folders) * test_fraction)))
    held_out = set(rng.choice(len(folders), count, replace=False).tolist())
    splits: dict[str, list[ImageRecord]] = {"train": [], "query": [], "gallery": []}
    for identity, folder in enumerate(folders):
        records = [read_record(path, identity, _camera_of(path, position, pattern), notes)
                   for position, path in enumerate(images_in(folder, notes))]
        if progress:
            progress(len(records))
        if identity not in held_out:
            splits["train"].extend(records)
            continue
        query = int(rng.integers(len(records))) if len(records) > 1 else -1
        for position, record in enumerate(records):
            splits["query" if position == query else "gallery"].append(record)
    names = {i: folder.name for i, folder in enumerate(folders)}
    return ImportedDataset(splits, f"image folder {root}", names, notes).check()


class FolderImporter(Importer):
    """``make_tfrecords folder ROOT``: one folder per identity (module docstring)."""

    name = "folder"
    help = "root/<identity>/*.jpg|png, held-out identities split into query and gallery"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="a folder with one folder of images per identity")
        parser.add_argument("--test-fraction", type=fraction, default=0.3,
                            help="share of identities held out of training")
        parser.add_argument("--seed", type=seed, default=0, help="seed of the held-out draw")
        parser.add_argument("--camera-pattern", help="regular expression whose first group is "
                            r"the camera number in a file name, e.g. '_c(\d+)' (default: an "
                            "image's position in its folder)")

    def total(self, args: argparse.Namespace) -> int:
        return count_images(args.root)

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        try:
            re.compile(args.camera_pattern or "")
        except re.error as error:
            raise DataError(f"--camera-pattern is not a regular expression: {error}") from None
        return image_folder_records(args.root, args.test_fraction, args.seed, progress,
                                    args.camera_pattern)
