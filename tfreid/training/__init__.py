"""Training engines: Siamese pairs (paper 004), triplets and ensembles (paper 000)."""

from tfreid.training.siamese import train_siamese
from tfreid.training.siamese_config import SiameseConfig
from tfreid.training.triplet import train_triplet
from tfreid.training.triplet_config import TripletConfig

__all__ = ["SiameseConfig", "TripletConfig", "train_siamese", "train_triplet"]
