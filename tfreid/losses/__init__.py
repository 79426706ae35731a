"""tfreid's own losses, distances and miners (tensorflow-addons does not import on TF 2.21).

Batch metric-learning losses take ``(labels (B,), embeddings (B, D))`` and return
one value per anchor; each is given a ``distance`` and optionally a ``miner``,
and any of them can be wrapped in ``CrossBatchMemory``. The Siamese twin's pair
losses take ``(same, distance or logit)`` (``*PairLoss``), ``TripletLoss``
explicit (B, 3, D) triplets. Every class is registered with Keras
(``keras.losses.get("MultiSimilarityLoss")`` works), and each batch loss also under its
command-line name (``catalog.BATCH_LOSSES``: ``model.compile(loss="multi_similarity")``).
Those names are only looked up: ``serialize`` still writes ``"tfreid>MultiSimilarityLoss"``,
so saved models load as before. A loss with arguments that have no default
(``ProxyNCALoss``, and the wrappers ``CrossBatchMemory``, ``PerMemberLoss``) answers a
bare name with a one-line ``MissingArgumentsError`` (a ConfigError and a TypeError).
"""

from tfreid.backend import keras
from tfreid.catalog import BATCH_LOSSES
from tfreid.losses.binary_verification import BinaryVerificationPairLoss
from tfreid.losses.center import CenterLoss, Centers, CenterTrainer
from tfreid.losses.circle import CircleLoss
from tfreid.losses.contrastive import ContrastiveLoss, ContrastivePairLoss
from tfreid.losses.cosine_pairs import (
    CosineContrastiveLoss,
    CosineEmbeddingLoss,
    ThresholdedContrastiveLoss,
)
from tfreid.losses.identity import IdentityClassifier, IdentityLoss
from tfreid.losses.lifted_structure import LiftedStructureLoss
from tfreid.losses.margin_softmax import (
    ArcFaceLoss,
    CircleSoftmaxLoss,
    CosFaceLoss,
    MarginSoftmaxLoss,
    ProxyBasedLoss,
)
from tfreid.losses.memory import CrossBatchMemory, MemoryBank
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.miners import BatchHardMiner, MultiSimilarityMiner, SemiHardMiner
from tfreid.losses.multi_similarity import MultiSimilarityLoss
from tfreid.losses.npair import NPairLoss
from tfreid.losses.per_member import PerMemberLoss
from tfreid.losses.proxy_anchor import ProxyAnchorLoss
from tfreid.losses.proxy_nca import Proxies, ProxyNCALoss
from tfreid.losses.spreading import SpreadingLoss
from tfreid.losses.supervised_contrastive import SupervisedContrastiveLoss
from tfreid.losses.triplet import TripletLoss
from tfreid.losses.triplet_margin import TripletMarginLoss
from tfreid.losses.weighted import WeightedLoss
from tfreid.nn.distances import CosineSimilarity, DotProductSimilarity, LpDistance


def _register_command_line_names() -> None:
    """Each batch loss under its command-line name too, for ``keras.losses.get`` and
    ``compile(loss=...)``; only looked up (custom objects), never what ``serialize`` writes.
    A name already taken (by another library) is left to it."""
    custom = keras.utils.get_custom_objects()
    for name in BATCH_LOSSES.names():
        custom.setdefault(name, BATCH_LOSSES.get(name))


_register_command_line_names()

__all__ = ["ArcFaceLoss", "Batch", "BatchHardMiner", "BinaryVerificationPairLoss", "CenterLoss",
           "CenterTrainer", "Centers", "CircleLoss", "CircleSoftmaxLoss",
           "ContrastiveLoss", "ContrastivePairLoss", "CosFaceLoss",
           "CosineContrastiveLoss", "CosineEmbeddingLoss", "CosineSimilarity",
           "CrossBatchMemory", "DotProductSimilarity", "IdentityClassifier",
           "IdentityLoss", "LiftedStructureLoss", "LpDistance", "MarginSoftmaxLoss",
           "MemoryBank", "MetricLoss", "MultiSimilarityLoss", "MultiSimilarityMiner",
           "NPairLoss", "PerMemberLoss", "Proxies", "ProxyAnchorLoss", "ProxyBasedLoss",
           "ProxyNCALoss", "SemiHardMiner", "SpreadingLoss",
           "SupervisedContrastiveLoss", "ThresholdedContrastiveLoss", "TripletLoss",
           "TripletMarginLoss",
           "WeightedLoss"]
