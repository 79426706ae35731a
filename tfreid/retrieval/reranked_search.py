"""An index searched with k-reciprocal re-ranking: a batch of queries against every entry.

Re-ranking (``tfreid.retrieval.rerank``) needs the gallery's vectors, not only its
neighbours: ``EmbeddingIndex.vectors()`` gives them (exact for flat, hnsw and int8 (the
decoded codes, as searched); the product-quantised reconstruction for ivfpq). The cost is
re-ranking's over the queries and the whole index together, N = q + g points: one exact
brute-force pass over N x N distances in blocks (time O(N^2 dim)), memory O(N (k1 + dim))
plus ``chunk_size`` x g for the distances of a chunk of queries, whose top k are kept. So
it suits galleries of up to some 10^5 entries searched a batch of queries at a time, not
an approximate index of millions (search it without re-ranking).
"""

import numpy as np


def reranked_rows(queries: np.ndarray, gallery: np.ndarray, k: int, k1: int = 20,
                  k2: int = 6, lambda_value: float = 0.3,
                  chunk_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(distances, gallery rows), each (q, k), of every query's ``k`` nearest entries by
    re-ranked distance (ties by row, as a stable sort); rows -1 and distances +inf where
    the gallery has fewer than ``k`` entries."""
    from tfreid.retrieval.rerank import iter_reranked_distances

    found = min(k, len(gallery))
    distances = np.full((len(queries), k), np.inf, np.float32)
    rows = np.full((len(queries), k), -1, np.int64)
    for part, chunk in iter_reranked_distances(queries, gallery, k1, k2, lambda_value,
                                               chunk_size):
        order = np.argsort(chunk, axis=1, kind="stable")[:, :found]
        rows[part, :found] = order
        distances[part, :found] = np.take_along_axis(chunk, order, axis=1)
    return distances, rows
