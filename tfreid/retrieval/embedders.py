"""What turns images into embeddings for an index: ``tfreid.inference``'s one ``Embedder``
(a Keras encoder, a SavedModel export or a TFLite model behind one interface), under the
names retrieval has always used."""

from typing import Any

import numpy as np

from tfreid.inference.embedder import Embedder, embedder_for

__all__ = ["Embedder", "embed_batches", "embedder_for"]


def embed_batches(embedder: Any, images: Any, batch_size: int | None = None,
                  progress: bool = True) -> np.ndarray:
    """``embedder_for(embedder).embed(images, batch_size, progress)``: with a progress line
    on stderr by default, as the command lines want."""
    return embedder_for(embedder).embed(images, batch_size, progress)
