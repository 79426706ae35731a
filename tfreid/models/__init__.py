"""Encoders (Table I CNN, 002's network, 004's base net) and the Siamese twin network."""

from tfreid.catalog import BACKBONES
from tfreid.models.backbones import build_encoder
from tfreid.models.embedding_trainer import EmbeddingTrainer
from tfreid.models.pami_cnn import pami_cnn
from tfreid.models.preprocessing import CaffePreprocessing
from tfreid.models.siamese import build_siamese
from tfreid.models.siamese_base_net import siamese_base_net
from tfreid.models.table1_cnn import table1_cnn

__all__ = ["BACKBONES", "CaffePreprocessing", "EmbeddingTrainer", "build_encoder",
           "build_siamese", "pami_cnn", "siamese_base_net", "table1_cnn"]
