"""Importers: image collections on disk -> ``ImportedDataset`` split by the re-id protocol.

* Image folders: ``root/<identity>/*.jpg|jpeg|png|bmp|gif``. Identity names are
  sorted and numbered from 0 (the manifest keeps the names); an image's camera
  is its position within its identity folder, so every view counts as its own
  camera. A seeded ``test_fraction`` of identities is held out of training;
  each held-out identity gives one query, the rest of its images go to the
  gallery.
* Market-1501: ``bounding_box_train/`` -> train, ``query/`` -> query,
  ``bounding_box_test/`` -> gallery. Names like ``0002_c1s1_000451_03.jpg`` give
  identity 2 and camera 1. Junk images (identity -1) are dropped; distractors
  (identity 0) stay in the gallery. Files whose names do not parse are skipped.

Every skipped file is counted in the result's notes; an image in a format
TensorFlow cannot decode is re-encoded as PNG (and counted).
"""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfreid.data.images import tensorflow_decodable
from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}
MARKET_NAME = re.compile(r"^(-?\d+)_c(\d+)s\d+_\d+_\d+\.jpe?g$", re.IGNORECASE)
MARKET_SPLITS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}

Progress = Callable[[int], None] | None


def read_record(path: Path, identity: int, camera: int,
                notes: ImportNotes | None = None) -> ImageRecord:
    """An ImageRecord of the file at ``path`` (re-encoded if TensorFlow cannot decode it)."""
    data, height, width, converted = tensorflow_decodable(path)
    if converted and notes is not None:
        notes.add(f"re-encoded as PNG ({converted} is not decodable by TensorFlow)", str(path))
    return ImageRecord(data, identity, camera, path.name, height, width)


def _images_in(directory: Path, notes: ImportNotes | None = None) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if p.is_file())
    if notes is not None:
        for path in files:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                notes.add(f"skipped, not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})",
                          str(path))
    return [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]


def image_folder_records(root: str | Path, test_fraction: float = 0.3, seed: int = 0,
                         progress: Progress = None) -> ImportedDataset:
    """An image-folder collection (module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist")
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test fraction must lie in (0, 1), got {test_fraction}")
    notes = ImportNotes()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _images_in(p))
    if len(folders) < 4:
        raise DataError(f"{root} has {len(folders)} identity folders with images; need >= 4")
    rng = np.random.default_rng([seed, 17])
    count = min(len(folders) - 2, max(2, round(len(folders) * test_fraction)))
    held_out = set(rng.choice(len(folders), count, replace=False).tolist())
    splits: dict[str, list[ImageRecord]] = {"train": [], "query": [], "gallery": []}
    for identity, folder in enumerate(folders):
        records = [read_record(path, identity, camera, notes)
                   for camera, path in enumerate(_images_in(folder, notes))]
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


def count_images(root: str | Path, folders: tuple[str, ...] = ()) -> int:
    """How many image files an import of ``root`` (or its ``folders``) will read."""
    bases = [Path(root) / f for f in folders] if folders else [Path(root)]
    return sum(1 for base in bases if base.is_dir() for p in base.rglob("*")
               if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


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
        records = []
        for path in _images_in(directory, notes):
            parsed = parse_market_name(path.name)
            if parsed is None:
                notes.add("skipped, name not of the form 0002_c1s1_000451_03.jpg", str(path))
            elif parsed[0] == -1:
                notes.add("skipped, junk (identity -1)", str(path))
            else:
                records.append(read_record(path, *parsed, notes))
            if progress:
                progress(1)
        splits[split] = records
    return ImportedDataset(splits, f"Market-1501 {root}", None, notes).check()
