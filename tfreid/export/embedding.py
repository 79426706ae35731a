"""Embedding images with an exported SavedModel (TensorFlow only)."""

import json
from pathlib import Path

import numpy as np

from tfreid.backend import tf
from tfreid.errors import DataError
from tfreid.export.saved_model import METADATA_NAME


def export_image_size(export_dir: str | Path) -> tuple[int, int]:
    """The (height, width) an export's encoder sees, from its tfreid.json."""
    path = Path(export_dir) / METADATA_NAME
    if not path.is_file():
        raise DataError(f"{export_dir} is not a tfreid export (no {METADATA_NAME})")
    return tuple(json.loads(path.read_text())["image_size"])


def embed_with_export(export_dir: str | Path, images: np.ndarray,
                      batch_size: int = 256) -> np.ndarray:
    """Embeddings (N, D) of uint8 images (N, H, W, 3) by the export's serving signature;
    (0, D) for no images."""
    export_image_size(export_dir)
    loaded = tf.saved_model.load(str(export_dir))
    serve = loaded.signatures["serving_default"]
    images = np.asarray(images, np.uint8)
    starts = range(0, max(len(images), 1), batch_size)
    return np.concatenate([
        serve(images=tf.constant(images[start:start + batch_size]))["embeddings"].numpy()
        for start in starts])
