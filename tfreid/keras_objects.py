"""Every tfreid module that registers Keras objects, and ``load_model``.

Keras' ``load_model`` finds a custom layer, model, loss, metric, miner, distance or
schedule only once the module defining it ran (``tfreid.backend.serializable``). A saved
file may hold any of them, so ``load_model`` imports all of these first: a fresh process
then loads a Siamese, triplet or ResNet-50 model without knowing which submodule to import.

``KERAS_OBJECT_MODULES`` is the one list of them; ``tests/test_load_model.py`` checks that
it names every module that registers one. This module imports TensorFlow only when called.
It names modules of every layer up to ``training``, so it is of that layer; the top-level
``tfreid.load_model`` is its one entry point from below (``tests/test_layers.py``).
"""

import importlib
from pathlib import Path
from typing import Any

KERAS_OBJECT_MODULES = (
    "tfreid.nn.distances",
    "tfreid.nn.embedding_trainer",
    "tfreid.losses.binary_verification",
    "tfreid.losses.center",
    "tfreid.losses.circle",
    "tfreid.losses.contrastive",
    "tfreid.losses.cosine_pairs",
    "tfreid.losses.identity",
    "tfreid.losses.lifted_structure",
    "tfreid.losses.margin_softmax",
    "tfreid.losses.memory",
    "tfreid.losses.miners",
    "tfreid.losses.multi_similarity",
    "tfreid.losses.npair",
    "tfreid.losses.per_member",
    "tfreid.losses.proxy_anchor",
    "tfreid.losses.proxy_nca",
    "tfreid.losses.spreading",
    "tfreid.losses.supervised_contrastive",
    "tfreid.losses.triplet",
    "tfreid.losses.triplet_margin",
    "tfreid.losses.weighted",
    "tfreid.models.pooling",
    "tfreid.models.preprocessing",
    "tfreid.models.siamese",
    "tfreid.models.triplet",
    "tfreid.callbacks.best_checkpoint",
    "tfreid.callbacks.epoch_logger",
    "tfreid.callbacks.learning_rate",
    "tfreid.callbacks.resume",
    "tfreid.training.schedules",
    "tfreid.training.self_supervised.schedules",
)


def register_keras_objects() -> None:
    """Import every module of ``KERAS_OBJECT_MODULES``, registering its Keras objects."""
    for name in KERAS_OBJECT_MODULES:
        importlib.import_module(name)


def load_model(path: str | Path, **kwargs: Any):
    """``keras.models.load_model(path, **kwargs)`` with every tfreid Keras object
    registered first (``compile=False`` and the other keyword arguments pass through)."""
    register_keras_objects()
    from tfreid.backend import keras

    return keras.models.load_model(path, **kwargs)
