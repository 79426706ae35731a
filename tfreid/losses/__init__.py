"""tfreid's own losses (tensorflow-addons does not import on TF 2.21)."""

from tfreid.losses.binary_verification import BinaryVerificationLoss
from tfreid.losses.contrastive import ContrastiveLoss

__all__ = ["BinaryVerificationLoss", "ContrastiveLoss"]
