"""Importers: image collections on disk -> ImageRecords split by the re-id protocol.

* Image folders: ``root/<identity>/*.jpg|jpeg|png``. Identity names are sorted
  and numbered from 0 (the manifest keeps the names); an image's camera is its
  position within its identity folder, so every view counts as its own camera.
  A seeded ``test_fraction`` of identities is held out of training; each
  held-out identity gives one query, the rest of its images go to the gallery.
* Market-1501: ``bounding_box_train/`` -> train, ``query/`` -> query,
  ``bounding_box_test/`` -> gallery. Names like ``0002_c1s1_000451_03.jpg`` give
  identity 2 and camera 1. Junk images (identity -1) are dropped; distractors
  (identity 0) stay in the gallery.
"""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfreid.data.images import probe_image
from tfreid.data.schema import ImageRecord
from tfreid.errors import DataError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
MARKET_NAME = re.compile(r"^(-?\d+)_c(\d+)s\d+_\d+_\d+\.jpe?g$", re.IGNORECASE)
MARKET_SPLITS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}

Progress = Callable[[int], None] | None


def read_record(path: Path, identity: int, camera: int) -> ImageRecord:
    """An ImageRecord of the file at ``path``; DataError if it does not decode."""
    data = path.read_bytes()
    height, width = probe_image(data, str(path))
    return ImageRecord(data, identity, camera, path.name, height, width)


def _images_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def image_folder_records(
    root: str | Path, test_fraction: float = 0.3, seed: int = 0, progress: Progress = None,
) -> tuple[dict[str, list[ImageRecord]], dict[int, str]]:
    """(splits, identity names) of an image-folder collection."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _images_in(p))
    if len(folders) < 4:
        raise DataError(f"{root} has {len(folders)} identity folders with images; need >= 4")
    rng = np.random.default_rng([seed, 17])
    held_out = set(rng.choice(len(folders), max(2, round(len(folders) * test_fraction)),
                              replace=False).tolist())
    splits: dict[str, list[ImageRecord]] = {"train": [], "query": [], "gallery": []}
    for identity, folder in enumerate(folders):
        records = [read_record(path, identity, camera)
                   for camera, path in enumerate(_images_in(folder))]
        if progress:
            progress(len(records))
        if identity not in held_out:
            splits["train"].extend(records)
            continue
        query = int(rng.integers(len(records))) if len(records) > 1 else -1
        for position, record in enumerate(records):
            splits["query" if position == query else "gallery"].append(record)
    return splits, {i: folder.name for i, folder in enumerate(folders)}


def parse_market_name(name: str) -> tuple[int, int] | None:
    """(identity, camera) from a Market-1501 file name, or None if it is not one."""
    match = MARKET_NAME.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def market1501_records(root: str | Path, progress: Progress = None) -> dict[str, list[ImageRecord]]:
    """The train / query / gallery splits of a Market-1501 folder."""
    root = Path(root)
    splits: dict[str, list[ImageRecord]] = {}
    for split, folder in MARKET_SPLITS.items():
        directory = root / folder
        if not directory.is_dir():
            raise DataError(f"{root} is not a Market-1501 folder: {folder}/ is missing")
        records = []
        for path in _images_in(directory):
            parsed = parse_market_name(path.name)
            if parsed is None or parsed[0] == -1:
                continue
            records.append(read_record(path, *parsed))
            if progress:
                progress(1)
        splits[split] = records
    return splits
