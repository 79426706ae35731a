"""Every measure of query -> gallery embeddings in one report, in the spirit of
pytorch-metric-learning's ``AccuracyCalculator``.

Query -> gallery measures come from the ranks of every query's true matches
(``match_ranks``: Market-1501 camera rule, ties against the query). For a query
with R true matches at ranks r_1 < ... < r_R:

* rank-k (CMC): r_1 <= k; ``precision_at_1`` is rank-1;
* AP = (1/R) sum_i i / r_i, averaged into mAP;
* INP = R / r_R, averaged into ``minp`` (``tfreid.metrics.minp``);
* MRR: mean of 1 / r_1;
* R-precision: #{i : r_i <= R} / R;
* MAP@R (Musgrave et al., "A Metric Learning Reality Check", ECCV 2020):
  (1/R) sum_{i : r_i <= R} i / r_i, precision counted only within the first R.

Queries without a valid true match are left out (``num_invalid_queries``).
Recall@k (the deep-metric-learning kind: a same-identity image among the k
nearest others, leave-one-out over query and gallery together), NMI and AMI
(k-means with one cluster per identity against the identities) use every
embedding.
"""

from typing import Any

import numpy as np

from tfreid.metrics.classification import cluster_labels, recall_at_k
from tfreid.metrics.measure import FROM_RANKS, Evaluation, Scores, measures
from tfreid.metrics.ranking import Metric, match_ranks

RANKS = (1, 5, 10, 20)
RECALL_KS = (1, 2, 4, 8)


def rank_measures(ranks: list[np.ndarray], ks: tuple[int, ...] = RANKS) -> dict[str, Any]:
    """rank-k for ``ks`` and every registered measure computed from the ranks alone (mAP,
    mINP, precision@1, MRR, R-precision, MAP@R) of ``match_ranks``' output, with the CMC
    curve and the query counts (a ``Scores``)."""
    evaluation = Evaluation.of_ranks(ranks, max(ks))
    chosen = [m for m in measures(source=FROM_RANKS) if m.rank is None]
    scores = evaluation.scores(chosen)
    cmc = evaluation.cmc
    return Scores({**{f"rank{k}": float(cmc[k - 1]) for k in ks if k <= len(cmc)}, **scores})


def evaluate_retrieval(
    query_embeddings: np.ndarray, query_ids: np.ndarray, gallery_embeddings: np.ndarray,
    gallery_ids: np.ndarray, query_cameras: np.ndarray | None = None,
    gallery_cameras: np.ndarray | None = None, metric: Metric = "euclidean",
    ks: tuple[int, ...] = RANKS, recall_ks: tuple[int, ...] = RECALL_KS, seed: int = 0,
) -> dict[str, Any]:
    """Every retrieval measure of the module docstring, as one dict.

    Example::

        from tfreid.metrics.scoring import evaluate_retrieval

        q, q_ids, g, g_ids = embeddings[0::2], labels[0::2], embeddings[1::2], labels[1::2]
        report = evaluate_retrieval(q, q_ids, g, g_ids)
        report["mAP"], report["map_at_r"], report["recall_at_1"], report["ami"]
    """
    ranks = match_ranks(query_embeddings, query_ids, gallery_embeddings, gallery_ids,
                        query_cameras, gallery_cameras, metric)
    report = rank_measures(ranks, ks)
    every = np.concatenate([np.asarray(query_embeddings), np.asarray(gallery_embeddings)])
    labels = np.concatenate([np.asarray(query_ids).reshape(-1),
                             np.asarray(gallery_ids).reshape(-1)])
    if not callable(metric):
        recalls = recall_at_k(every, labels, recall_ks, metric)
        report.update({f"recall_at_{k}": value for k, value in recalls.items()})
    report.update(cluster_agreement(every, labels, seed))
    return report


def cluster_agreement(embeddings: np.ndarray, labels: np.ndarray,
                      seed: int = 0) -> dict[str, float]:
    """NMI and AMI between k-means clusters (k = number of identities) and the identities."""
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    clusters = cluster_labels(embeddings, labels, seed)
    return {"nmi": float(normalized_mutual_info_score(labels, clusters)),
            "ami": float(adjusted_mutual_info_score(labels, clusters))}
