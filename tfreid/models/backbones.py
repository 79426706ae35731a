"""Encoders by name, so scripts and configs can choose one with a string."""

from collections.abc import Callable

from tfreid.backend import keras
from tfreid.errors import ConfigError
from tfreid.models.pami_cnn import pami_cnn
from tfreid.models.siamese_base_net import siamese_base_net
from tfreid.models.table1_cnn import table1_cnn

BACKBONES: dict[str, Callable[..., keras.Model]] = {
    "table1": table1_cnn,
    "siamese_base": siamese_base_net,
    "pami": pami_cnn,
}


def build_encoder(
    backbone: str, image_size: tuple[int, int], embedding_dim: int, **options
) -> keras.Model:
    """An encoder ``backbone`` for (H, W, 3) images giving ``embedding_dim`` features.

    ``options`` go to the builder (``name``; ``activation``, ``width``, ``downscale``
    for table1). ``pami`` is paper 002's network (32-d for 28 px).
    """
    if backbone not in BACKBONES:
        raise ConfigError(f"unknown backbone {backbone!r}; choose from {sorted(BACKBONES)}")
    return BACKBONES[backbone]((*image_size, 3), embedding_dim=embedding_dim, **options)
