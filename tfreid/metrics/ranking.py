"""Re-identification ranking: CMC curve, rank-1 and mean average precision.

A query is compared with every gallery entry; the ranks of the entries of the
query's identity in the gallery ordered by distance give the CMC curve (rank-k
accuracy: the share of queries with a true match among the k nearest) and the
average precision (mean over the query's true matches of the precision at the
match's rank). With cameras given, the Market-1501 protocol applies (Zheng et
al., ICCV 2015): gallery entries of the same identity *and* camera as the query
are left out of its ranking, and a query with no valid match left is not scored
(it is counted in ``num_invalid_queries``). A camera below 0 is unknown: it is never the
same camera as another (``same_camera``), so images without cameras keep their matches.
Only the true matches are ranked (``match_ranks``), never the whole gallery: a match's
rank is its position among the matches plus the valid non-matches at most as far.
"""

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tfreid.catalog import DISTANCES
from tfreid.errors import ConfigError, DataError

RANKING_DISTANCES = ("euclidean", "squared_euclidean", "cosine")  # names of tfreid.catalog
Metric = str | Callable[[np.ndarray, np.ndarray], np.ndarray]


def same_camera(query_cameras: np.ndarray, gallery_cameras: np.ndarray) -> np.ndarray:
    """(q, g) True where a query and a gallery entry share a known camera (one >= 0; below
    0 is unknown, never the same as another)."""
    q = np.asarray(query_cameras).reshape(-1, 1)
    return (q == np.asarray(gallery_cameras).reshape(1, -1)) & (q >= 0)


def pairwise_distances(a: np.ndarray, b: np.ndarray, metric: Metric = "euclidean",
                       dtype: type = np.float64) -> np.ndarray:
    """Distances between rows of ``a`` (n, D) and rows of ``b`` (m, D), as (n, m), computed
    in ``dtype``.

    ``euclidean``: ||a - b||_2; ``squared_euclidean``: ||a - b||^2 (same ranking);
    ``cosine``: 1 - a.b / (||a|| ||b||); or a function (a, b) -> distances, for
    codes that are not plain vectors (int8 storage, say).
    """
    return distances_to(b, metric, dtype)(a)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def distances_to(b: np.ndarray, metric: Metric = "euclidean",
                 dtype: type = np.float64) -> Callable[[np.ndarray], np.ndarray]:
    """``pairwise_distances(a, b)`` as a function of ``a``, with what depends on ``b`` alone
    (unit rows, squared norms) computed once, for many chunks of queries.

    Equal rows of ``b`` get exactly equal distances from every row of ``a``, whatever the
    dtype and the BLAS: the distances are computed to each distinct row of ``b`` once and
    copied to its repeats (a matmul may round the same product differently in two
    columns, which would let round-off, not the tie rule, order equal embeddings).
    """
    if callable(metric):
        return lambda a: np.asarray(metric(a, b))
    metric = DISTANCES.aliases.get(metric, metric)
    if metric not in RANKING_DISTANCES:
        raise ConfigError(f"unknown metric {metric!r}; use {', '.join(RANKING_DISTANCES)}")
    distinct, inverse = _distinct_rows(np.asarray(b, dtype=dtype))
    to_distinct = _cosine_to(distinct, dtype) if metric == "cosine" else _euclidean_to(
        distinct, metric, dtype)
    if inverse is None:
        return to_distinct
    return lambda a: to_distinct(a)[:, inverse]


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(distinct rows, inverse) with ``rows == distinct[inverse]``; (rows, None) when no row
    repeats. Rows are compared as bytes after -0.0 is made +0.0, so equal means equal."""
    rows = np.ascontiguousarray(rows + rows.dtype.type(0.0))
    if rows.size == 0:
        return rows, None
    keys = rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1]))).ravel()
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    if starts.all():
        return rows, None
    inverse = np.empty(len(rows), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return rows[order[starts]], inverse


def _cosine_to(b: np.ndarray, dtype: type) -> Callable[[np.ndarray], np.ndarray]:
    b_unit = _unit(b)
    return lambda a: 1.0 - _unit(np.asarray(a, dtype=dtype)) @ b_unit.T


def _centre(b: np.ndarray, dtype: type) -> np.ndarray:
    """b's mean rounded to a multiple of the largest power of two at most b's spread (rms
    distance to the mean per dimension, from <= 1024 rows; the mean itself if b has none);
    0 in a dimension whose mean is not finite, so a NaN row spoils only its own distances.

    Centred on it, the norms are as small as centred on the mean, up to the spread, and
    data on a grid at least as coarse (integers, say) stay exact, so exact ties stay exact.
    """
    mean = b.mean(axis=0, dtype=np.float64)
    mean[~np.isfinite(mean)] = 0.0
    spread = np.sqrt(np.mean(np.square(b[::max(1, len(b) // 1024)] - mean)))
    if not 0.0 < spread < np.inf:
        return mean.astype(dtype)
    step = 2.0 ** np.floor(np.log2(spread))
    return (np.round(mean / step) * step).astype(dtype)


def _euclidean_to(b: np.ndarray, metric: str,
                  dtype: type) -> Callable[[np.ndarray], np.ndarray]:
    # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b loses digits in proportion to the norms: both
    # sides are centred on (about) b's mean first; the distances stay the same
    centre = _centre(b, dtype)
    b = b - centre
    b_norms = (b * b).sum(1)

    def distances(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=dtype) - centre
        squared = a @ b.T
        squared *= -2.0
        squared += (a * a).sum(1)[:, None]
        squared += b_norms[None, :]
        np.maximum(squared, 0.0, out=squared)
        return np.sqrt(squared, out=squared) if metric == "euclidean" else squared

    return distances


_CHUNK_ELEMENTS = 2**24  # distances held at once (64 MiB of float32): bounds the memory


def _check_inputs(q_emb, q_ids, g_emb, g_ids) -> None:
    if len(q_emb) != len(q_ids) or len(g_emb) != len(g_ids):
        raise DataError("embeddings and identities differ in length")
    if len(q_emb) == 0 or len(g_emb) == 0:
        raise DataError("empty query or gallery: nothing to rank")
    if q_emb.shape[1] != g_emb.shape[1]:
        raise DataError(f"query dim {q_emb.shape[1]} != gallery dim {g_emb.shape[1]}")


def _ranks_of_row(distances: np.ndarray, matches: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Sorted 1-based ranks of the true matches of one query.

    ``others`` holds the distances of the valid non-matches and +inf elsewhere.
    Only the matches are sorted: a non-match falls before the matches at or
    beyond the position ``searchsorted`` gives it, so the cumulative count of
    non-matches per position, plus the match's own position, is its rank.
    """
    match_distances = np.sort(distances[matches])
    count = len(match_distances)
    if count == 0:
        return match_distances.astype(np.int64)
    slots = np.searchsorted(match_distances, others, side="left")
    before = np.cumsum(np.bincount(slots, minlength=count + 1)[:count])
    return np.arange(1, count + 1) + before


def match_ranks(
    query_embeddings: np.ndarray, query_ids: np.ndarray, gallery_embeddings: np.ndarray,
    gallery_ids: np.ndarray, query_cameras: np.ndarray | None = None,
    gallery_cameras: np.ndarray | None = None, metric: Metric = "euclidean",
    chunk_elements: int = _CHUNK_ELEMENTS,
) -> list[np.ndarray]:
    """For every query, the sorted 1-based ranks of its true matches in its ranked gallery.

    The gallery is ranked by distance; entries of the query's identity and
    camera are left out when cameras are given (Market-1501). Ties go against
    the query: a non-match at the same distance as a true match ranks before it,
    so a collapsed embedding scores no better than chance. A query without a
    true match gets an empty array. Distances are computed for as many queries
    at a time as fit in ``chunk_elements`` values, in float32 for float32 and float16
    embeddings (what encoders give; half the time of float64 at 2048-d) and in
    float64 otherwise. Equal gallery embeddings are at exactly equal distances from a
    query whatever the dtype (``distances_to``), so the tie rule, not round-off, orders them.
    """
    q_emb, g_emb = np.asarray(query_embeddings), np.asarray(gallery_embeddings)
    q_ids, g_ids = np.asarray(query_ids).reshape(-1), np.asarray(gallery_ids).reshape(-1)
    _check_inputs(q_emb, q_ids, g_emb, g_ids)
    to_gallery = distances_to(g_emb, metric, np.result_type(q_emb.dtype, g_emb.dtype,
                                                             np.float32))
    step = max(1, chunk_elements // len(g_ids))
    chunks = ((slice(start, start + step), to_gallery(q_emb[start:start + step]))
              for start in range(0, len(q_ids), step))
    return ranks_of_distances(chunks, q_ids, g_ids, query_cameras, gallery_cameras)


def ranks_of_distances(chunks: Iterable[tuple[slice, np.ndarray]], query_ids: np.ndarray,
                       gallery_ids: np.ndarray, query_cameras: np.ndarray | None = None,
                       gallery_cameras: np.ndarray | None = None) -> list[np.ndarray]:
    """``match_ranks`` of distances given as (query rows, their distances to the whole
    gallery) chunks in query order: re-ranked distances, say, that never exist whole
    (``tfreid.retrieval.rerank.iter_reranked_distances``). Same camera and tie rules."""
    q_ids, g_ids = np.asarray(query_ids).reshape(-1), np.asarray(gallery_ids).reshape(-1)
    use_cameras = query_cameras is not None and gallery_cameras is not None
    q_cams = np.asarray(query_cameras).reshape(-1) if use_cameras else None
    g_cams = np.asarray(gallery_cameras).reshape(-1) if use_cameras else None
    ranks = []
    for rows, distances in chunks:
        same_id = q_ids[rows, None] == g_ids[None, :]
        matches = same_id & ~same_camera(q_cams[rows], g_cams) if use_cameras else same_id
        others = np.where(same_id, np.inf, distances)
        ranks += [_ranks_of_row(d, m, o) for d, m, o in zip(distances, matches, others,
                                                                strict=True)]
    return ranks


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
    kept entries (the definition of torchreid and TensorFlow Similarity). Ties
    go against the query (``match_ranks``).
    """
    ranks = match_ranks(query_embeddings, query_ids, gallery_embeddings, gallery_ids,
                        query_cameras, gallery_cameras, metric)
    return scores_of_ranks(ranks, min(max_rank, len(np.asarray(gallery_ids).reshape(-1))))


def scores_of_ranks(ranks: list[np.ndarray], max_rank: int) -> dict[str, Any]:
    """CMC, rank-1, mAP and query counts from ``match_ranks``' output (a ``Scores``)."""
    from tfreid.metrics.measure import Evaluation
    from tfreid.metrics.measures import MAP, RANK1

    return Evaluation.of_ranks(ranks, max_rank).scores([RANK1, MAP])
