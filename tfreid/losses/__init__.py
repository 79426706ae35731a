"""tfreid's own losses (tensorflow-addons does not import on TF 2.21).

Batch metric-learning losses take ``(labels (B,), embeddings (B, D))``; the
pair losses of the Siamese net take ``(same, distance)`` and ``TripletLoss``
explicit (B, 3, D) triplets.
"""

from tfreid.losses.binary_verification import BinaryVerificationLoss
from tfreid.losses.contrastive import ContrastiveLoss
from tfreid.losses.cosine_pairs import CosineContrastiveLoss, CosineEmbeddingLoss
from tfreid.losses.lifted_structure import LiftedStructureLoss
from tfreid.losses.multi_similarity import MultiSimilarityLoss
from tfreid.losses.npair import NPairLoss
from tfreid.losses.per_member import PerMemberLoss
from tfreid.losses.proxy_nca import ProxyNCALoss
from tfreid.losses.triplet import TripletLoss, TripletMiningLoss
from tfreid.losses.triplet_margin import TripletMarginLoss

__all__ = ["BinaryVerificationLoss", "ContrastiveLoss", "CosineContrastiveLoss",
           "CosineEmbeddingLoss", "LiftedStructureLoss", "MultiSimilarityLoss", "NPairLoss",
           "PerMemberLoss", "ProxyNCALoss", "TripletLoss", "TripletMarginLoss",
           "TripletMiningLoss"]
