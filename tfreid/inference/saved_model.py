"""The one loader of tfreid SavedModel exports (``tfreid.export.saved_model`` writes them):
``tfreid.json`` beside the SavedModel says what the encoder sees and gives, and the
``serving_default`` signature embeds uint8 images of any size."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.errors import DataError, one_line

METADATA_NAME = "tfreid.json"
EXPORT_AGAIN = "export it again with tfreid export"


def is_saved_model(folder: str | Path) -> bool:
    """Whether ``folder`` holds a SavedModel (a tfreid export or not)."""
    return Path(folder).is_dir() and (Path(folder) / "saved_model.pb").is_file()


def read_metadata(folder: str | Path) -> dict[str, Any]:
    """An export's ``tfreid.json``, with ``image_size`` as an (H, W) tuple and
    ``embedding_dim`` an int; DataError naming the folder where it is missing or damaged."""
    path = Path(folder) / METADATA_NAME
    if not path.is_file():
        raise DataError(f"{folder} is not a tfreid export (no {METADATA_NAME})")
    try:
        info = json.loads(path.read_text())
        height, width = (int(n) for n in info["image_size"])
        info.update(image_size=(height, width), embedding_dim=int(info["embedding_dim"]))
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path} is damaged ({one_line(str(error))}); {EXPORT_AGAIN}") from None
    return info


def export_image_size(folder: str | Path) -> tuple[int, int]:
    """The (height, width) an export's encoder sees, from its ``tfreid.json``."""
    return read_metadata(folder)["image_size"]


def load_serving(folder: str | Path) -> tuple[Callable[[np.ndarray], np.ndarray], dict]:
    """(serve, metadata) of an export: ``serve`` embeds one uint8 batch (B, H, W, 3) of any
    H and W into float32 (B, D). The metadata is read (and checked) first."""
    info = read_metadata(folder)
    signature = tf.saved_model.load(str(folder)).signatures["serving_default"]

    def serve(images: np.ndarray) -> np.ndarray:
        return signature(images=tf.constant(images, tf.uint8))["embeddings"].numpy()

    return serve, info
