"""Nearest neighbours of every training image, by exact faiss search (no label used)."""

import numpy as np

from tfreid.errors import ConfigError


def nearest_neighbours(features: np.ndarray, k: int, metric: str = "dot",
                       include_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(indices (N, k), scores (N, k)) of each row's k nearest rows, nearest first.

    ``metric="dot"``: largest inner product (faiss ``IndexFlatIP``; cosine for
    L2-normalised rows); ``"squared_euclidean"``: smallest squared distance (``IndexFlatL2``).
    Without ``include_self`` a row is never its own neighbour. Ties: lower index first.
    """
    import faiss

    features = np.ascontiguousarray(features, dtype=np.float32)
    if not 1 <= k <= len(features) - (0 if include_self else 1):
        raise ConfigError(f"cannot find {k} neighbours among {len(features)} images")
    index = faiss.IndexFlatIP(features.shape[1]) if metric == "dot" else \
        faiss.IndexFlatL2(features.shape[1])
    index.add(features)
    scores, indices = index.search(features, k + (0 if include_self else 1))
    if include_self:
        return indices.astype(np.int64), scores
    keep = indices != np.arange(len(features))[:, None]
    first_k = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # drop self, keep order
    return (np.take_along_axis(indices, first_k, 1).astype(np.int64),
            np.take_along_axis(scores, first_k, 1))
