"""tfreid's own losses, distances and miners (tensorflow-addons does not import on TF 2.21).

Batch metric-learning losses take ``(labels (B,), embeddings (B, D))`` and return
one value per anchor; each is given a ``distance`` and optionally a ``miner``,
and any of them can be wrapped in ``CrossBatchMemory``. The Siamese twin's pair
losses take ``(same, distance or logit)`` (``*PairLoss``), ``TripletLoss``
explicit (B, 3, D) triplets. Every class is registered with Keras
(``keras.losses.get("MultiSimilarityLoss")`` works).
"""

from tfreid.losses.binary_verification import BinaryVerificationPairLoss
from tfreid.losses.contrastive import ContrastiveLoss, ContrastivePairLoss
from tfreid.losses.cosine_pairs import (
    CosineContrastiveLoss,
    CosineEmbeddingLoss,
    ThresholdedContrastiveLoss,
)
from tfreid.losses.lifted_structure import LiftedStructureLoss
from tfreid.losses.memory import CrossBatchMemory, MemoryBank
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.miners import BatchHardMiner, MultiSimilarityMiner, SemiHardMiner
from tfreid.losses.multi_similarity import MultiSimilarityLoss
from tfreid.losses.npair import NPairLoss
from tfreid.losses.per_member import PerMemberLoss
from tfreid.losses.proxy_nca import Proxies, ProxyNCALoss
from tfreid.losses.spreading import SpreadingLoss
from tfreid.losses.triplet import TripletLoss
from tfreid.losses.triplet_margin import TripletMarginLoss
from tfreid.nn.distances import CosineSimilarity, DotProductSimilarity, LpDistance

__all__ = ["Batch", "BatchHardMiner", "BinaryVerificationPairLoss", "ContrastiveLoss",
           "ContrastivePairLoss", "CosineContrastiveLoss", "CosineEmbeddingLoss",
           "CosineSimilarity", "CrossBatchMemory", "DotProductSimilarity", "LiftedStructureLoss",
           "LpDistance", "MemoryBank", "MetricLoss", "MultiSimilarityLoss",
           "MultiSimilarityMiner", "NPairLoss", "PerMemberLoss", "Proxies", "ProxyNCALoss",
           "SemiHardMiner", "SpreadingLoss", "ThresholdedContrastiveLoss", "TripletLoss",
           "TripletMarginLoss"]
