"""tfreid's own losses (tensorflow-addons does not import on TF 2.21)."""

from tfreid.losses.binary_verification import BinaryVerificationLoss
from tfreid.losses.contrastive import ContrastiveLoss
from tfreid.losses.per_member import PerMemberLoss
from tfreid.losses.triplet import TripletLoss, TripletMiningLoss

__all__ = ["BinaryVerificationLoss", "ContrastiveLoss", "PerMemberLoss", "TripletLoss",
           "TripletMiningLoss"]
