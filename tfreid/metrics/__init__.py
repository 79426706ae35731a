"""Evaluation measures: ranking (CMC, mAP, mINP), feature correlation (mAC, CF) and
class-level scores (linear probe, top-k, kNN, Recall@k, NMI) and the retrieval report. The
measures results and reports show are registered in ``tfreid.catalog.MEASURES``
(``Measure``, computed from an ``Evaluation`` into ``Scores``)."""

from tfreid.metrics.classification import (
    clustering_nmi,
    confusion_matrix,
    evaluate_classes,
    knn_accuracy,
    linear_probe,
    recall_at_k,
    top_k_accuracy,
)
from tfreid.metrics.correlation import (
    correlated_features,
    feature_correlation_matrix,
    mean_absolute_correlation,
)
from tfreid.metrics.measure import Evaluation, Measure, Scores, measures
from tfreid.metrics.minp import inverse_negative_penalty
from tfreid.metrics.ranking import evaluate_ranking, match_ranks, pairwise_distances
from tfreid.metrics.scoring import evaluate_retrieval

__all__ = [
    "Evaluation", "Measure", "Scores", "clustering_nmi", "confusion_matrix",
    "correlated_features", "evaluate_classes", "evaluate_ranking", "evaluate_retrieval",
    "feature_correlation_matrix", "inverse_negative_penalty", "knn_accuracy", "linear_probe",
    "match_ranks", "mean_absolute_correlation", "measures", "pairwise_distances",
    "recall_at_k", "top_k_accuracy",
]
