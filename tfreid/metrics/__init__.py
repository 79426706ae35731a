"""Evaluation measures: ranking (CMC, mAP), feature correlation (mAC, CF) and class-level
scores (linear probe, top-k, kNN, Recall@k, NMI) and the retrieval report."""

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
from tfreid.metrics.ranking import evaluate_ranking, match_ranks, pairwise_distances
from tfreid.metrics.retrieval import evaluate_retrieval

__all__ = [
    "clustering_nmi", "confusion_matrix", "correlated_features", "evaluate_classes",
    "evaluate_ranking", "evaluate_retrieval", "feature_correlation_matrix", "knn_accuracy",
    "linear_probe", "match_ranks", "mean_absolute_correlation", "pairwise_distances",
    "recall_at_k", "top_k_accuracy",
]
