"""Embedding images with an exported SavedModel, through the one loader and embedder of
``tfreid.inference``."""

from pathlib import Path

import numpy as np

from tfreid.inference.embedder import saved_model_embedder
from tfreid.inference.saved_model import export_image_size

__all__ = ["embed_with_export", "export_image_size"]


def embed_with_export(export_dir: str | Path, images: np.ndarray,
                      batch_size: int | None = None) -> np.ndarray:
    """Embeddings (N, D) of uint8 images (N, H, W, 3) of any size by the export's serving
    signature; (0, D) for no images."""
    return saved_model_embedder(export_dir).embed(images, batch_size)
