"""Image files given on a command line: folders or files, with the identity and camera their
names tell, read in batches at a model's input size.

A folder's images are its own files or, if it has none, its subfolders' (each
subfolder one identity, named by the folder). A Market-1501 / DukeMTMC style
file name (``0002_c3s1_000551_01.jpg``) gives identity ``2`` and camera ``3``.
Identities are strings (``""``: unknown), so folder names and numbers mix; a
dataset's integer identities are compared as their decimal strings.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfreid.data.images import decode_image, resize_images, tensorflow_decodable
from tfreid.data.importers.base import IMAGE_SUFFIXES
from tfreid.errors import DataError

REID_NAME = re.compile(r"^(-?\d+)_c(\d+)")


def _images_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in
                  IMAGE_SUFFIXES)


def _labelled(path: Path, folder_identity: str) -> tuple[Path, str, int]:
    match = REID_NAME.match(path.name)
    if match:
        return path, str(int(match.group(1))), int(match.group(2))
    return path, folder_identity, -1


def _expand(item: Path) -> list[tuple[Path, str, int]]:
    if item.is_file():
        if item.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{item} is not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return [_labelled(item, "")]
    if not item.is_dir():
        raise DataError(f"{item} does not exist")
    own = _images_of(item)
    if own:
        return [_labelled(path, "") for path in own]
    return [_labelled(path, sub.name) for sub in sorted(p for p in item.iterdir() if p.is_dir())
            for path in _images_of(sub)]


@dataclass
class ImageFiles:
    """Image paths with their identities (str) and cameras (-1: unknown)."""

    paths: list[Path]
    identities: np.ndarray
    cameras: np.ndarray

    def __len__(self) -> int:
        return len(self.paths)


def list_image_files(items: list[str | Path]) -> ImageFiles:
    """The images of ``items`` (files and folders, module docstring), in order."""
    found = [entry for item in items for entry in _expand(Path(item))]
    if not found:
        raise DataError(f"no image files in {', '.join(map(str, items))}")
    paths, identities, cameras = zip(*found, strict=True)
    return ImageFiles(list(paths), np.array(identities, dtype=str), np.array(cameras))


def read_image(path: Path, image_size: tuple[int, int]) -> np.ndarray:
    """One image file as (H, W, 3) uint8 at ``image_size``, decoded and resized as the
    TFRecord reader does (so a model sees the pixels it was trained on)."""
    data, _, _, _ = tensorflow_decodable(path)
    return resize_images(decode_image(data), image_size).numpy()


class ImageFileBatches:
    """The files' pixels in batches at ``image_size``; ``len`` is the number of images."""

    def __init__(self, paths: list[Path], image_size: tuple[int, int], batch_size: int = 128):
        self.paths, self.image_size, self.batch_size = paths, tuple(image_size), batch_size

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[np.ndarray]:
        for start in range(0, len(self.paths), self.batch_size):
            yield np.stack([read_image(path, self.image_size)
                            for path in self.paths[start:start + self.batch_size]])
