"""Test-time ranking options: query expansion, database-side augmentation and k-reciprocal
re-ranking, applied to embeddings already made, scored with the same ranking rules.

The order is fast-reid's: DBA on the gallery, alpha-QE of the queries against it
(``tfreid.retrieval.expansion``; with either, queries and gallery become unit
features), then re-ranking of those
features (``tfreid.retrieval.rerank``, memory bounded: its distances come a chunk of
queries at a time and are ranked as they come, ``tfreid.metrics.ranking.
ranks_of_distances``). Without re-ranking the expanded features are ranked by ``metric``.
Only the ranking measures change (rank-k, mAP, mINP); the camera rule and the tie rule
are those of every evaluation.

Example::

    from tfreid.evaluation.test_time import RankingOptions, ranking_scores

    q, q_ids, g, g_ids = embeddings[0::2], labels[0::2], embeddings[1::2], labels[1::2]
    options = RankingOptions(rerank=True, k1=3, k2=2, qe_k=2)  # small k: a gallery of 4
    scores = ranking_scores(q, q_ids, None, g, g_ids, None, "euclidean", options)
    scores["rank1"], scores["mAP"]
"""

from dataclasses import dataclass

import numpy as np

from tfreid.metrics.measure import Evaluation, Scores


@dataclass(frozen=True)
class RankingOptions:
    """What to apply; k1 = 20, k2 = 6, lambda = 0.3 are Zhong et al.'s and fast-reid's
    re-ranking defaults, k = 4 and alpha = 3 fast-reid's query expansion (QE_K 5 with the
    query itself)."""

    rerank: bool = False
    k1: int = 20
    k2: int = 6
    lambda_value: float = 0.3
    qe_k: int = 0  # 0: no query expansion
    qe_alpha: float = 3.0
    dba_k: int = 0  # 0: no database-side augmentation

    def active(self) -> bool:
        return self.rerank or self.qe_k > 0 or self.dba_k > 0

    def describe(self) -> str:
        """A short label: 'DBA k=4 + QE k=4 a=3 + re-ranking k1=20 k2=6 l=0.3'."""
        parts = [f"DBA k={self.dba_k}"] * (self.dba_k > 0)
        parts += [f"QE k={self.qe_k} a={self.qe_alpha:g}"] * (self.qe_k > 0)
        parts += [f"re-ranking k1={self.k1} k2={self.k2} l={self.lambda_value:g}"] * self.rerank
        return " + ".join(parts) or "none"


def expanded(query: np.ndarray, gallery: np.ndarray,
             options: RankingOptions) -> tuple[np.ndarray, np.ndarray]:
    """(queries, gallery) after DBA and alpha-QE where ``options`` ask for them: both then
    unit vectors (the expansions work on them; the gallery is normalised without DBA too,
    so that queries and gallery are compared in one space)."""
    from tfreid.retrieval.expansion import database_augmentation, query_expansion

    if options.dba_k == 0 and options.qe_k == 0:
        return query, gallery
    norms = np.linalg.norm(gallery, axis=1, keepdims=True)
    gallery = (gallery / np.maximum(norms, 1e-12)).astype(np.float32)
    if options.dba_k > 0:
        gallery = database_augmentation(gallery, options.dba_k, options.qe_alpha)
    if options.qe_k > 0:
        query = query_expansion(query, gallery, options.qe_k, options.qe_alpha)
    return query, gallery


def ranking_scores(query: np.ndarray, query_ids: np.ndarray, query_cameras: np.ndarray | None,
                     gallery: np.ndarray, gallery_ids: np.ndarray,
                     gallery_cameras: np.ndarray | None, metric: str,
                     options: RankingOptions, max_rank: int = 20) -> Scores:
    """rank-1/5/10, mAP and mINP (with the CMC curve and query counts) of ``query`` against
    ``gallery`` after the test-time options (module docstring)."""
    from tfreid.metrics.measures import MAP, RANK1, RANK5, RANK10
    from tfreid.metrics.minp import MINP
    from tfreid.metrics.ranking import match_ranks, ranks_of_distances
    from tfreid.retrieval.rerank import iter_reranked_distances

    query, gallery = expanded(np.asarray(query), np.asarray(gallery), options)
    if options.rerank:
        chunks = iter_reranked_distances(query, gallery, options.k1, options.k2,
                                         options.lambda_value)
        ranks = ranks_of_distances(chunks, query_ids, gallery_ids, query_cameras,
                                   gallery_cameras)
    else:
        ranks = match_ranks(query, query_ids, gallery, gallery_ids, query_cameras,
                            gallery_cameras, metric)
    evaluation = Evaluation.of_ranks(ranks, min(max_rank, len(gallery_ids)))
    return evaluation.scores([RANK1, RANK5, RANK10, MAP, MINP])
