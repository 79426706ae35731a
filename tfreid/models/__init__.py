"""Encoders (Table I CNN, 002's network, 004's base net, Keras applications) and the
Siamese twin network.

Names load on first use, so the TensorFlow-free parts (``tfreid.models.backbone``, each
backbone's ``Options``) import quickly for command lines.
"""

import importlib

from tfreid.catalog import BACKBONES
from tfreid.models.backbone import Backbone

# the builders import TensorFlow only when they build; bound here, not lazily, as each
# shares its module's name (importing the module would otherwise shadow the function)
from tfreid.models.pami_cnn import pami_cnn
from tfreid.models.siamese_base_net import siamese_base_net
from tfreid.models.table1_cnn import table1_cnn

_EXPORTS = {
    "CaffePreprocessing": "tfreid.models.preprocessing",
    "EmbeddingTrainer": "tfreid.nn.embedding_trainer",
    "build_encoder": "tfreid.models.backbones", "build_siamese": "tfreid.models.siamese",
    "StackEmbeddings": "tfreid.models.triplet", "build_triplet_model": "tfreid.models.triplet",
}

__all__ = ["BACKBONES", "Backbone", "CaffePreprocessing", "EmbeddingTrainer", "StackEmbeddings",
           "build_encoder", "build_siamese", "build_triplet_model", "pami_cnn", "siamese_base_net",
           "table1_cnn"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfreid.models' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
