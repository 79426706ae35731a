"""tfreid's measures (``tfreid.metrics.measure.Measure``), registered in
``tfreid.catalog.MEASURES``; the per-query scores of the ranking measures.

For a query with R true matches at sorted 1-based ranks r_1 < ... < r_R (the Market-1501
camera rule applied, ties against the query; ``match_ranks``):

* rank-k (CMC): r_1 <= k; ``precision_at_1`` is rank-1;
* AP = (1/R) sum_i i / r_i, averaged into mAP;
* MRR: mean of 1 / r_1;
* R-precision: #{i : r_i <= R} / R;
* MAP@R (Musgrave et al., ECCV 2020): (1/R) sum_{i : r_i <= R} i / r_i.

Queries without a valid true match are left out. Recall@k (a same-identity image among
the k nearest others, leave-one-out over query and gallery together), NMI and AMI
(k-means, one cluster per identity) use every embedding with its identity; mAC and CF
(paper 000, eq. 2-4) every embedding alone; mAP E / M / H the revisited protocol's masks.
"""

import numpy as np

from tfreid.metrics.correlation import correlated_features, mean_absolute_correlation
from tfreid.metrics.measure import (
    COMMAND,
    EPOCH,
    FROM_EMBEDDINGS,
    FROM_LABELLED,
    FROM_REVISITED,
    HPARAMS,
    LEAVE_ONE_OUT,
    REPORT,
    RETRIEVAL,
    REVISITED,
    SWEEP,
    TENSORBOARD,
    Evaluation,
    Measure,
)

EVERYWHERE = frozenset({REPORT, EPOCH, TENSORBOARD, HPARAMS, SWEEP, COMMAND})
SHOWN = frozenset({REPORT, TENSORBOARD, HPARAMS, COMMAND})  # reports and TensorBoard
REPORTED = frozenset({REPORT})  # the held-out report alone


def average_precision(ranks: np.ndarray) -> float:
    """AP of one query: the mean over its matches of the precision at the match's rank."""
    return np.mean(np.arange(1, len(ranks) + 1) / ranks)


def reciprocal_rank(ranks: np.ndarray) -> float:
    return 1.0 / ranks[0]


def r_precision(ranks: np.ndarray) -> float:
    return (ranks <= len(ranks)).mean()


def average_precision_at_r(ranks: np.ndarray) -> float:
    within = ranks <= len(ranks)
    return np.sum(np.arange(1, len(ranks) + 1)[within] / ranks[within]) / len(ranks)


def rank_k(k: int):
    """rank-k accuracy from the CMC curve (None where the curve is shorter than k)."""
    return lambda e: float(e.cmc[k - 1]) if k <= len(e.cmc) else None


def _mean_of(score):
    return lambda e: e.per_query(score)


def _recall(k: int):
    return lambda e: e.recall(k)


def _nmi(e: Evaluation) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(e.labels, e.clusters))


def _ami(e: Evaluation) -> float:
    from sklearn.metrics import adjusted_mutual_info_score

    return float(adjusted_mutual_info_score(e.labels, e.clusters))


def _revisited(setting: str):
    return lambda e: None if e.revisited_scores is None else \
        e.revisited_scores[f"mAP_{setting}"]


RANK1 = Measure("rank1", "rank-1", rank_k(1), places=EVERYWHERE, rank=1)
RANK5 = Measure("rank5", "rank-5", rank_k(5), places=SHOWN, rank=5)
RANK10 = Measure("rank10", "rank-10", rank_k(10), places=frozenset({COMMAND}), rank=10)
RANK20 = Measure("rank20", "rank-20", rank_k(20), places=frozenset(), rank=20)
MAP = Measure("mAP", "mAP", _mean_of(average_precision), places=EVERYWHERE, chance=True)
PRECISION_AT_1 = Measure("precision_at_1", "precision@1", rank_k(1),
                         places=frozenset({COMMAND}))
MRR = Measure("mrr", "MRR", _mean_of(reciprocal_rank), places=SHOWN, group=RETRIEVAL)
R_PRECISION = Measure("r_precision", "R-precision", _mean_of(r_precision), places=SHOWN,
                      group=RETRIEVAL)
MAP_AT_R = Measure("map_at_r", "MAP@R", _mean_of(average_precision_at_r), places=SHOWN,
                   group=RETRIEVAL)
RECALL_AT_1 = Measure("recall_at_1", "R@1", _recall(1), FROM_LABELLED, places=SHOWN,
                      group=LEAVE_ONE_OUT)
RECALL_AT_2 = Measure("recall_at_2", "R@2", _recall(2), FROM_LABELLED, places=REPORTED,
                      group=LEAVE_ONE_OUT)
RECALL_AT_4 = Measure("recall_at_4", "R@4", _recall(4), FROM_LABELLED,
                      places=frozenset({REPORT, COMMAND}),
                      group=LEAVE_ONE_OUT)
RECALL_AT_8 = Measure("recall_at_8", "R@8", _recall(8), FROM_LABELLED, places=REPORTED,
                      group=LEAVE_ONE_OUT)
NMI = Measure("nmi", "NMI", _nmi, FROM_LABELLED, places=SHOWN, group=LEAVE_ONE_OUT)
AMI = Measure("ami", "AMI", _ami, FROM_LABELLED, places=SHOWN, group=RETRIEVAL)
MAC = Measure("mAC", "mAC", lambda e: mean_absolute_correlation(e.every), FROM_EMBEDDINGS,
              higher_is_better=False, places=EVERYWHERE)
CF = Measure("CF", "CF", lambda e: correlated_features(e.every), FROM_EMBEDDINGS,
             higher_is_better=False, format="d", places=EVERYWHERE)
MAP_EASY, MAP_MEDIUM, MAP_HARD = (
    Measure(f"mAP_{s}", f"mAP {s[0].upper()}", _revisited(s), FROM_REVISITED,
            places=REPORTED, group=REVISITED, queries=f"{s}_queries")
    for s in ("easy", "medium", "hard"))
