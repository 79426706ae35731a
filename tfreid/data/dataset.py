"""A tfreid dataset, opened once: its manifest, its splits and what follows from them.

``Dataset(path)`` reads and checks ``manifest.json`` once
(``tfreid.data.manifest.read_manifest``); everything else asks the manifest it
holds: the split names, each split's entry, the identities' names, the bytes of
the decoded images (and so whether to hold them in memory or stream them), the
revisited easy / hard / junk masks, and ``split(name, image_size, input)``, a
``Split`` whose images are decoded into memory (``ArrayImages``) or read from the
shards as batches need them (``RecordImages``)::

    dataset = Dataset.open(path_or_none)           # None: the embedded surface set
    train = dataset.split("train", (64, 64))         # input="auto": memory if it fits
    query = dataset.split("query", (64, 64), input="stream")

Code above ``tfreid.data`` takes a ``Dataset`` or its ``Split`` s, not a path.
"""

from pathlib import Path
from typing import Any

import numpy as np

from tfreid.data.default import ensure_default_manifest
from tfreid.data.input_mode import input_for, manifest_decoded_bytes
from tfreid.data.manifest import read_manifest, split_info
from tfreid.data.reader import decode_split
from tfreid.data.record_images import records_split
from tfreid.data.revisited import revisited_masks
from tfreid.data.split import Split


class Dataset:
    """A tfreid TFRecord dataset with its manifest read and checked once (module
    docstring); ``DataError`` names what is wrong with a directory that is not one."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.manifest = read_manifest(self.path)

    @classmethod
    def _checked(cls, path: Path, manifest: dict[str, Any]) -> "Dataset":
        """A Dataset of a manifest that ``read_manifest`` has just read and checked."""
        dataset = cls.__new__(cls)
        dataset.path, dataset.manifest = Path(path), manifest
        return dataset

    @classmethod
    def default(cls, wide: bool = False, root: str | Path | None = None,
                verbose: bool = True) -> "Dataset":
        """The embedded surface set (``wide``: the wide-view one), generated under ``root``
        on first use (``tfreid.data.default``; ``root`` defaults to ``$TFREID_HOME/tfrecords``,
        else ``./tfrecords``)."""
        return cls._checked(*ensure_default_manifest(root, verbose, wide))

    @classmethod
    def open(cls, source: "Dataset | str | Path | None", wide: bool = False) -> "Dataset":
        """``source`` itself if it is a Dataset, the dataset at a path, or (None or "") the
        embedded default (``default(wide=wide)``)."""
        if isinstance(source, Dataset):
            return source
        return cls.default(wide=wide) if source in (None, "") else cls(source)

    def __repr__(self) -> str:
        return f"Dataset({str(self.path)!r}, name={self.name!r}, splits={self.split_names})"

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def source(self) -> str:
        """Where the images came from (an importer's source, a generator and its settings)."""
        return self.manifest.get("source", "")

    @property
    def split_names(self) -> tuple[str, ...]:
        """The splits, in the manifest's order."""
        return tuple(self.manifest["splits"])

    @property
    def stored_image_size(self) -> tuple[int, int] | None:
        """(height, width) shared by every stored image, None if their sizes differ."""
        size = self.manifest.get("image_size")
        return tuple(size) if size else None

    @property
    def identity_names(self) -> dict[int, str]:
        """Identity number -> its name in the source ({} if the source named none)."""
        return {int(k): v for k, v in self.manifest.get("identity_names", {}).items()}

    def split_info(self, name: str) -> dict[str, Any]:
        """The manifest entry of split ``name``; DataError naming the splits there are, or
        saying that it is empty."""
        return split_info(self.manifest, name)

    def decoded_bytes(self, image_size: tuple[int, int]) -> int:
        """Bytes of every split's images decoded to uint8 at ``image_size``."""
        return manifest_decoded_bytes(self.manifest, image_size)

    def choose_input(self, requested: str, image_size: tuple[int, int],
                     budget: int | None = None) -> str:
        """"memory" or "stream" for ``requested`` ("auto", "memory" or "stream"): "auto"
        streams when the decoded images would take over a quarter of ``budget``
        (``tfreid.data.input_mode``)."""
        return input_for(requested, self.decoded_bytes(image_size), budget)

    def split(self, name: str, image_size: tuple[int, int], input: str = "auto") -> Split:
        """Split ``name`` at ``image_size``: decoded into memory (``input="memory"``, every
        record checked on the way), left on disk and read as batches need it
        (``"stream"``), or as ``choose_input("auto", ...)`` decides."""
        info = self.split_info(name)
        size = tuple(int(side) for side in image_size)
        if self.choose_input(input, size) == "stream":
            return records_split(self.path, info, size)
        return decode_split(self.path, name, info, size)

    def revisited_masks(self, query_files: np.ndarray,
                        gallery_files: np.ndarray) -> dict[str, np.ndarray] | None:
        """(q, g) easy / hard / junk masks of the manifest's revisited ground truth, None if
        it has none for these queries (``tfreid.data.revisited``)."""
        return revisited_masks(self.manifest, query_files, gallery_files)
