"""Scoring a compressed encoder on held-out identities, in float32 or as int8 codes."""

from typing import Any

import numpy as np

from tfreid.compression.int8_storage import (
    Int8Embeddings,
    encode_int8,
    fit_scales,
    int8_squared_distances,
)
from tfreid.data.reader import SplitArrays
from tfreid.metrics import evaluate_ranking
from tfreid.metrics.measures import MAP, RANK1


def rank_float(query_embeddings: np.ndarray, gallery_embeddings: np.ndarray,
               query: SplitArrays, gallery: SplitArrays) -> dict[str, float]:
    """rank-1 and mAP of float32 embeddings (Euclidean distance)."""
    scores = evaluate_ranking(query_embeddings, query.identities, gallery_embeddings,
                              gallery.identities, query.cameras, gallery.cameras)
    return {RANK1.key: scores[RANK1.key], MAP.key: scores[MAP.key]}


def rank_int8(query_embeddings: np.ndarray, gallery_embeddings: np.ndarray,
              query: SplitArrays, gallery: SplitArrays) -> dict[str, Any]:
    """rank-1 and mAP searching int8 codes (scales fitted on the gallery), and the
    largest absolute error of the decoded gallery."""
    scales = fit_scales(gallery_embeddings)
    gallery_codes = encode_int8(gallery_embeddings, scales)
    query_codes = encode_int8(query_embeddings, scales)

    def distances(q: np.ndarray, g: np.ndarray) -> np.ndarray:
        return int8_squared_distances(Int8Embeddings(q, scales), Int8Embeddings(g, scales))

    scores = evaluate_ranking(query_codes.codes, query.identities, gallery_codes.codes,
                              gallery.identities, query.cameras, gallery.cameras,
                              metric=distances)
    error = float(np.abs(gallery_codes.decode() - gallery_embeddings).max())
    return {RANK1.key: scores[RANK1.key], MAP.key: scores[MAP.key], "storage_max_error": error}
