"""mAP Easy / Medium / Hard: the revisited Oxford / Paris protocol (Radenovic et al., CVPR
2018), as InsCLR's evaluator computes it (thesis 003, section 4.3).

Each (query, gallery image) pair is labelled easy, hard, junk (unclear) or
negative. Three settings decide which count as positives and which are
ignored (taken out of the ranking, as if absent):

==========  ==============  =================
setting     positives       ignored
==========  ==============  =================
easy (E)    easy            junk and hard
medium (M)  easy and hard   junk
hard (H)    hard            junk and easy
==========  ==============  =================

Average precision uses the protocol's trapezoid rule: with r_j the 0-based
rank (among the images not ignored) of the j-th positive (j from 0),
``AP = sum_j 1/2 (j / r_j + (j + 1) / (r_j + 1)) / n_positives`` (j / r_j = 1
for r_j = 0). Queries without a positive in a setting are skipped and counted.
Ties in distance keep gallery order.
"""

from typing import Any

import numpy as np

from tfreid.errors import DataError
from tfreid.metrics.ranking import pairwise_distances

SETTINGS = {"easy": ("easy", ("junk", "hard")), "medium": (("easy", "hard"), ("junk",)),
            "hard": ("hard", ("junk", "easy"))}


def trapezoid_ap(positive_ranks: np.ndarray, num_positives: int) -> float:
    """AP of one query from the sorted 0-based ranks of its positives (module docstring)."""
    ranks = np.asarray(positive_ranks, dtype=np.float64)
    j = np.arange(len(ranks), dtype=np.float64)
    before = np.where(ranks == 0, 1.0, j / np.maximum(ranks, 1.0))
    after = (j + 1.0) / (ranks + 1.0)
    return float(np.sum(before + after) / 2.0 / num_positives)


def _union(labels: dict[str, np.ndarray], names: str | tuple[str, ...]) -> np.ndarray:
    names = (names,) if isinstance(names, str) else names
    return np.logical_or.reduce([labels[name] for name in names])


def setting_aps(order: np.ndarray, positive: np.ndarray, ignored: np.ndarray) -> np.ndarray:
    """AP of each query (NaN without a positive) for ``order`` (q, g) gallery indices by
    distance and boolean (q, g) ``positive`` / ``ignored`` masks."""
    positive_sorted = np.take_along_axis(positive, order, axis=1)
    kept_sorted = ~np.take_along_axis(ignored, order, axis=1)
    kept_rank = np.cumsum(kept_sorted, axis=1) - 1
    aps = np.full(len(order), np.nan)
    for row in range(len(order)):
        ranks = kept_rank[row][positive_sorted[row] & kept_sorted[row]]
        if len(ranks):
            aps[row] = trapezoid_ap(ranks, len(ranks))
    return aps


def evaluate_revisited(query_embeddings: np.ndarray, gallery_embeddings: np.ndarray,
                       easy: np.ndarray, hard: np.ndarray, junk: np.ndarray,
                       metric: str = "euclidean") -> dict[str, Any]:
    """mAP E / M / H (module docstring) with the (q, g) boolean label masks; each with the
    number of queries scored and skipped."""
    easy, hard, junk = (np.asarray(m, bool) for m in (easy, hard, junk))
    shape = (len(query_embeddings), len(gallery_embeddings))
    if easy.shape != shape or hard.shape != shape or junk.shape != shape:
        raise DataError(f"easy / hard / junk masks must be {shape}, got {easy.shape}, "
                        f"{hard.shape}, {junk.shape}")
    distances = pairwise_distances(query_embeddings, gallery_embeddings, metric)
    order = np.argsort(distances, axis=1, kind="stable")
    labels = {"easy": easy, "hard": hard, "junk": junk}
    results: dict[str, Any] = {}
    for setting, (positives, ignored) in SETTINGS.items():
        aps = setting_aps(order, _union(labels, positives), _union(labels, ignored))
        scored = ~np.isnan(aps)
        results[f"mAP_{setting}"] = float(np.mean(aps[scored])) if scored.any() else float("nan")
        results[f"{setting}_queries"] = int(scored.sum())
        results[f"{setting}_skipped"] = int((~scored).sum())
    return results
