"""Embedding images with an encoder and scoring the embeddings."""

from typing import Any

import numpy as np

from tfreid.backend import keras
from tfreid.data.reader import SplitArrays
from tfreid.errors import TrainingError
from tfreid.metrics import correlated_features, evaluate_ranking, mean_absolute_correlation


def embed(encoder: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Embeddings (N, D) of uint8 images (N, H, W, 3), in inference mode."""
    embeddings = np.concatenate([
        encoder(images[start:start + batch_size], training=False).numpy()
        for start in range(0, len(images), batch_size)
    ])
    if not np.isfinite(embeddings).all():
        raise TrainingError("the encoder gives non-finite embeddings (diverged training?)")
    return embeddings


def score_embeddings(
    query_embeddings: np.ndarray, query: SplitArrays, gallery_embeddings: np.ndarray,
    gallery: SplitArrays, metric: str = "euclidean",
) -> dict[str, Any]:
    """rank-1, mAP, CMC (Market-1501 protocol) and mAC, CF of all the embeddings."""
    ranking = evaluate_ranking(
        query_embeddings, query.identities, gallery_embeddings, gallery.identities,
        query.cameras, gallery.cameras, metric=metric)
    every = np.concatenate([query_embeddings, gallery_embeddings])
    return {**ranking, "mAC": mean_absolute_correlation(every), "CF": correlated_features(every)}


def evaluate_encoder(
    encoder: keras.Model, query: SplitArrays, gallery: SplitArrays, metric: str = "euclidean"
) -> dict[str, Any]:
    """Embed query and gallery with ``encoder`` and score them (``score_embeddings``)."""
    return score_embeddings(embed(encoder, query.images), query,
                            embed(encoder, gallery.images), gallery, metric)
