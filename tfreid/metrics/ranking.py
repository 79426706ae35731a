"""Re-identification ranking: CMC curve, rank-1 and mean average precision.

A query is compared with every gallery entry; the gallery is sorted by distance
and the ranks of the entries of the query's identity give the CMC curve (rank-k
accuracy: the share of queries with a true match among the k nearest) and the
average precision (mean over the query's true matches of the precision at the
match's rank). With cameras given, the Market-1501 protocol applies (Zheng et
al., ICCV 2015): gallery entries of the same identity *and* camera as the query
are left out of its ranking, and a query with no valid match left is not scored
(it is counted in ``num_invalid_queries``).
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from tfreid.errors import ConfigError, DataError

_QUERY_CHUNK = 512


Metric = str | Callable[[np.ndarray, np.ndarray], np.ndarray]


def pairwise_distances(a: np.ndarray, b: np.ndarray, metric: Metric = "euclidean") -> np.ndarray:
    """Distances between rows of ``a`` (n, D) and rows of ``b`` (m, D), as (n, m).

    ``euclidean``: ||a - b||_2; ``sqeuclidean``: ||a - b||^2 (same ranking);
    ``cosine``: 1 - a.b / (||a|| ||b||); or a function (a, b) -> distances, for
    codes that are not plain vectors (int8 storage, say).
    """
    if callable(metric):
        return np.asarray(metric(a, b))
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if metric == "cosine":
        a_n = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        b_n = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
        return 1.0 - a_n @ b_n.T
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    squared = np.maximum(squared, 0.0)
    if metric == "sqeuclidean":
        return squared
    if metric == "euclidean":
        return np.sqrt(squared)
    raise ConfigError(f"unknown metric {metric!r}; use euclidean, sqeuclidean or cosine")


def _rank_chunk(
    distances: np.ndarray,
    query_ids: np.ndarray,
    gallery_ids: np.ndarray,
    valid: np.ndarray,
    max_rank: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CMC hits (q, max_rank), average precision (q,) and has-match flags (q,)."""
    order = np.argsort(distances, axis=1, kind="stable")
    kept = np.take_along_axis(valid, order, axis=1)
    matches = (gallery_ids[order] == query_ids[:, None]) & kept
    has_match = matches.any(axis=1)
    kept_rank = np.cumsum(kept, axis=1)  # 1-based rank among kept entries
    first = np.where(matches, kept_rank, np.iinfo(np.int64).max).min(axis=1)
    cmc = first[:, None] <= np.arange(1, max_rank + 1)[None, :]
    hits_so_far = np.cumsum(matches, axis=1)
    precision = np.where(matches, hits_so_far / np.maximum(kept_rank, 1), 0.0)
    ap = precision.sum(axis=1) / np.maximum(matches.sum(axis=1), 1)
    return cmc, ap, has_match


def _check_inputs(q_emb, q_ids, g_emb, g_ids) -> None:
    if len(q_emb) != len(q_ids) or len(g_emb) != len(g_ids):
        raise DataError("embeddings and identities differ in length")
    if len(q_emb) == 0 or len(g_emb) == 0:
        raise DataError("empty query or gallery: nothing to rank")
    if q_emb.shape[1] != g_emb.shape[1]:
        raise DataError(f"query dim {q_emb.shape[1]} != gallery dim {g_emb.shape[1]}")


def evaluate_ranking(
    query_embeddings: np.ndarray,
    query_ids: np.ndarray,
    gallery_embeddings: np.ndarray,
    gallery_ids: np.ndarray,
    query_cameras: np.ndarray | None = None,
    gallery_cameras: np.ndarray | None = None,
    max_rank: int = 20,
    metric: Metric = "euclidean",
) -> dict[str, Any]:
    """Rank the gallery for every query and score the rankings.

    Returns ``cmc`` (array of rank-k accuracy for k = 1..max_rank), ``rank1``,
    ``mAP``, ``num_queries`` (queries scored) and ``num_invalid_queries``
    (queries without any valid true match, left out). Average precision of one
    query is sum_k P(k) rel(k) / #matches, P(k) the precision among the first k
    kept entries (the definition of torchreid and TensorFlow Similarity).
    """
    q_emb, g_emb = np.asarray(query_embeddings), np.asarray(gallery_embeddings)
    q_ids, g_ids = np.asarray(query_ids), np.asarray(gallery_ids)
    _check_inputs(q_emb, q_ids, g_emb, g_ids)
    use_cameras = query_cameras is not None and gallery_cameras is not None
    max_rank = min(max_rank, len(g_ids))
    cmc_rows, ap_rows, valid_rows = [], [], []
    for start in range(0, len(q_ids), _QUERY_CHUNK):
        stop = start + _QUERY_CHUNK
        distances = pairwise_distances(q_emb[start:stop], g_emb, metric)
        valid = np.ones(distances.shape, dtype=bool)
        if use_cameras:
            same_id = q_ids[start:stop, None] == g_ids[None, :]
            same_cam = np.asarray(query_cameras)[start:stop, None] == np.asarray(
                gallery_cameras
            )[None, :]
            valid = ~(same_id & same_cam)
        cmc, ap, has_match = _rank_chunk(distances, q_ids[start:stop], g_ids, valid, max_rank)
        cmc_rows.append(cmc[has_match])
        ap_rows.append(ap[has_match])
        valid_rows.append(has_match)
    has_match = np.concatenate(valid_rows)
    if not has_match.any():
        raise DataError("no query has a true match in the gallery: cannot score the ranking")
    cmc_curve = np.concatenate(cmc_rows).mean(axis=0)
    return {
        "cmc": cmc_curve,
        "rank1": float(cmc_curve[0]),
        "mAP": float(np.concatenate(ap_rows).mean()),
        "num_queries": int(has_match.sum()),
        "num_invalid_queries": int((~has_match).sum()),
    }
