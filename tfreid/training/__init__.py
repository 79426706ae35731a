"""Training engines."""

from tfreid.training.siamese import train_siamese
from tfreid.training.siamese_config import SiameseConfig

__all__ = ["SiameseConfig", "train_siamese"]
