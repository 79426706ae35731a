"""Keras pieces that both ``tfreid.losses`` and ``tfreid.models`` build on, so neither
imports the other: the distances between embeddings (``tfreid.nn.distances``) and the
``EmbeddingTrainer``, an encoder together with the layers its loss owns."""

from tfreid.nn.distances import (
    CosineSimilarity,
    Distance,
    DotProductSimilarity,
    LpDistance,
    get_distance,
    pair_distance,
)
from tfreid.nn.embedding_trainer import EmbeddingTrainer, attach_state

__all__ = ["CosineSimilarity", "Distance", "DotProductSimilarity", "EmbeddingTrainer",
           "LpDistance", "attach_state", "get_distance", "pair_distance"]
