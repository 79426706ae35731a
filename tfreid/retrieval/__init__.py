"""Retrieval: an embedding index searched with faiss, verification thresholds, the models
that embed images for them (beside evaluation, export and compression), k-reciprocal
re-ranking and query expansion.

Names load on first use, so ``tfreid.retrieval.names`` imports without TensorFlow
for command lines.
"""

import importlib

_EXPORTS = {
    "Calibration": "tfreid.retrieval.calibration", "calibrate": "tfreid.retrieval.calibration",
    "verification_curve": "tfreid.retrieval.calibration",
    "Embedder": "tfreid.retrieval.embedders", "embed_batches": "tfreid.retrieval.embedders",
    "embedder_for": "tfreid.retrieval.embedders",
    "EmbeddingIndex": "tfreid.retrieval.index", "SearchResult": "tfreid.retrieval.index",
    "k_reciprocal_rerank": "tfreid.retrieval.rerank",
    "iter_reranked_distances": "tfreid.retrieval.rerank",
    "query_expansion": "tfreid.retrieval.expansion",
    "database_augmentation": "tfreid.retrieval.expansion",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfreid.retrieval' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
