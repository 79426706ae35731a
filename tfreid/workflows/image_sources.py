"""The images ``tfreid embed``, ``search`` and ``evaluate`` work on: image files and folders,
or a split of a ``Dataset``, with their identities, cameras and metadata; their embeddings
by an export, and those written as ``.npz``."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.data.dataset import Dataset
from tfreid.data.image_files import ImageFileBatches, ImageFiles, list_image_files
from tfreid.errors import OutputError
from tfreid.io.atomic import atomic_file
from tfreid.retrieval import Embedder, embed_batches


@dataclass
class ImageSource:
    """Images to embed (a sized iterable of uint8 batches, or ``SplitImages``), with
    identities (str, "" unknown), cameras (-1 unknown), one metadata dict each and the
    ``Dataset`` they come from (None for image files)."""

    images: Any
    identities: np.ndarray
    cameras: np.ndarray
    metadata: list[dict]
    dataset: Dataset | None = None

    def __len__(self) -> int:
        return len(self.identities)


def files_source(items: list[str], image_size: tuple[int, int], batch_size: int = 128,
                 limit: int | None = None) -> ImageSource:
    """Image files and folders (``tfreid.data.image_files``), the first ``limit`` of them."""
    files = list_image_files(items)
    files = ImageFiles(files.paths[:limit], files.identities[:limit], files.cameras[:limit])
    metadata = [{"file": str(path.resolve()), "camera": int(camera)}
                for path, camera in zip(files.paths, files.cameras, strict=True)]
    return ImageSource(ImageFileBatches(files.paths, image_size, batch_size), files.identities,
                       files.cameras, metadata)


def dataset_source(dataset: Dataset, split: str, image_size: tuple[int, int],
                   limit: int | None = None) -> ImageSource:
    """Split ``split`` of ``dataset``, read from its shards (its first ``limit`` rows)."""
    data = dataset.split(split, image_size, input="stream")
    rows = np.arange(len(data))[:limit]
    metadata = [{"dataset": str(dataset.path.resolve()), "split": split, "row": int(row),
                 "file": str(data.filenames[row]), "camera": int(data.cameras[row])}
                for row in rows]
    return ImageSource(data.images[rows], data.identities[rows].astype(str),
                       data.cameras[rows], metadata, dataset)


def embed_source(embedder: Embedder, source: ImageSource, batch_size: int = 128,
                 progress: bool = True) -> np.ndarray:
    """(N, D) embeddings of a source, batch by batch."""
    return embed_batches(embedder, source.images, batch_size, progress)


def write_embeddings(path: str | Path, embeddings: np.ndarray, source: ImageSource,
                     model: str, overwrite: bool = False) -> Path:
    """``embeddings``, ``identities``, ``cameras``, ``files`` and ``model`` in one ``.npz``,
    written atomically; an existing file only with ``overwrite``."""
    path = Path(path)
    if path.suffix != ".npz":
        raise OutputError(f"--out {path} must end in .npz")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; use --overwrite to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, embeddings=embeddings, identities=source.identities,
                 cameras=source.cameras, model=np.array(model),
                 files=np.array([m.get("file", "") for m in source.metadata], dtype=str))
    return path

