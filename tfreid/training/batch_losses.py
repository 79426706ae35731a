"""The batch metric-learning losses by name, for training on P x K batches."""

from tfreid.backend import keras
from tfreid.errors import ConfigError
from tfreid.losses import (
    CosineContrastiveLoss,
    CosineEmbeddingLoss,
    LiftedStructureLoss,
    MultiSimilarityLoss,
    NPairLoss,
    ProxyNCALoss,
    TripletMarginLoss,
)

BATCH_LOSSES = ("cosine_embedding", "cosine_contrastive", "triplet_margin", "npair",
                "lifted_structure", "multi_similarity", "proxy_nca")


def make_batch_loss(name: str, embedding_dim: int, num_classes: int, margin: float,
                    squared: bool, seed: int) -> keras.losses.Loss:
    """Loss ``name`` with its own default settings; ``triplet_margin`` takes ``margin``
    and ``squared``, ``proxy_nca`` one proxy per label in [0, num_classes)."""
    simple = {"cosine_embedding": CosineEmbeddingLoss, "cosine_contrastive": CosineContrastiveLoss,
              "npair": NPairLoss, "lifted_structure": LiftedStructureLoss,
              "multi_similarity": MultiSimilarityLoss}
    if name in simple:
        return simple[name]()
    if name == "triplet_margin":
        return TripletMarginLoss(margin, squared)
    if name == "proxy_nca":
        return ProxyNCALoss(num_classes, embedding_dim, seed=seed)
    raise ConfigError(f"unknown loss {name!r}; choose from triplet, {', '.join(BATCH_LOSSES)}")
