"""The importer protocol, and reading image files for any importer."""

import argparse
from collections.abc import Callable
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.records import ImageRecord

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}

Progress = Callable[[int], None] | None


class Importer:
    """One source of datasets: ``name``, ``help``, its options and ``collect``."""

    name = ""
    help = ""
    default_out: str | None = None  # under tfreid.io.home.tfreid_home(); None: --out required

    def __init__(self, name: str | None = None):
        self.name = name or self.name

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The source's own options (``--out``, ``--images-per-shard``, ``--overwrite`` are
        added for every importer)."""

    def total(self, args: argparse.Namespace) -> int | None:
        """How many images ``collect`` will read, for the progress bar (None if unknown)."""
        return None

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        raise NotImplementedError


def read_record(path: Path, identity: int, camera: int,
                notes: ImportNotes | None = None) -> ImageRecord:
    """An ImageRecord of the file at ``path`` (re-encoded if TensorFlow cannot decode it)."""
    from tfreid.data.images import tensorflow_decodable

    data, height, width, converted = tensorflow_decodable(path)
    if converted and notes is not None:
        notes.add(f"re-encoded as PNG ({converted} is not decodable by TensorFlow)", str(path))
    return ImageRecord(data, identity, camera, path.name, height, width)


def images_in(directory: Path, notes: ImportNotes | None = None) -> list[Path]:
    """The image files of ``directory``, sorted; other files are counted in ``notes``."""
    files = sorted(p for p in directory.iterdir() if p.is_file())
    if notes is not None:
        for path in files:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                notes.add(f"skipped, not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})",
                          str(path))
    return [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]


def count_images(root: str | Path, folders: tuple[str, ...] = ()) -> int:
    """How many image files an import of ``root`` (or its ``folders``) will read."""
    bases = [Path(root) / f for f in folders] if folders else [Path(root)]
    return sum(1 for base in bases if base.is_dir() for p in base.rglob("*")
               if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
