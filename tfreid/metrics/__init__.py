"""Evaluation measures: ranking (CMC, mAP) and feature correlation (mAC, CF)."""

from tfreid.metrics.correlation import (
    correlated_features,
    feature_correlation_matrix,
    mean_absolute_correlation,
)
from tfreid.metrics.ranking import evaluate_ranking, pairwise_distances

__all__ = [
    "correlated_features",
    "evaluate_ranking",
    "feature_correlation_matrix",
    "mean_absolute_correlation",
    "pairwise_distances",
]
