"""The distances' old home: they live in ``tfreid.nn.distances`` (below both losses and
models); this name keeps ``from tfreid.losses.distances import LpDistance`` working."""

from tfreid.nn.distances import (
    CosineSimilarity,
    Distance,
    DotProductSimilarity,
    LpDistance,
    expansion_error_bound,
    get_distance,
    l2_normalize,
    pair_distance,
    require_similarity,
    safe_sqrt,
    squared_euclidean_distance,
)

squared_l2_distance = squared_euclidean_distance  # its name before one vocabulary

__all__ = ["CosineSimilarity", "Distance", "DotProductSimilarity", "LpDistance",
           "expansion_error_bound", "get_distance", "l2_normalize", "pair_distance",
           "require_similarity", "safe_sqrt", "squared_euclidean_distance",
           "squared_l2_distance"]
