"""Encoders by name (``tfreid.catalog.BACKBONES``), so scripts and configs choose one with a
string: the Table I CNN, 004's base net, 002's network and Keras applications."""

from tfreid.backend import keras
from tfreid.catalog import BACKBONES

# Keras' load_model finds tfreid's layers only once their modules ran; these ran with
# every import of tfreid.models before the package loaded its names lazily
from tfreid.models import preprocessing, siamese, triplet  # noqa: F401
from tfreid.nn import embedding_trainer  # noqa: F401


def build_encoder(
    backbone: str, image_size: tuple[int, int], embedding_dim: int, **options
) -> keras.Model:
    """An encoder ``backbone`` for (H, W, 3) uint8-range images giving ``embedding_dim``
    features. ``options`` go to the builder (``name``, and the fields of the backbone's
    ``Options``: ``activation``, ``width``, ``downscale`` for table1; ``weights`` for the
    Keras applications). Under a mixed-precision policy the layers compute in 16 bits and
    the last one, the embedding, in float32."""
    return BACKBONES.get(backbone)((*image_size, 3), embedding_dim=embedding_dim, **options)
