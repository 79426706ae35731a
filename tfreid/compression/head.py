"""Surgery on an encoder's embedding head: its last layer, a Dense (in x D) + bias.

Every dimension-reduction method replaces that layer. The encoder is copied
first (architecture and weights), so the original stays untouched and can be
compressed again by another method.
"""

import numpy as np

from tfreid.backend import keras
from tfreid.errors import ConfigError


def embedding_head(encoder: keras.Model) -> keras.layers.Dense:
    """The encoder's last layer, which must be a linear Dense layer with a bias."""
    layer = encoder.layers[-1]
    if not isinstance(layer, keras.layers.Dense) or not layer.use_bias \
            or keras.activations.serialize(layer.activation) != "linear":
        raise ConfigError(f"encoder {encoder.name!r} does not end in a linear Dense embedding "
                          f"layer (its last layer is {type(layer).__name__} {layer.name!r}); "
                          "compression needs one (an ensemble: compress each member)")
    return layer


def copy_encoder(encoder: keras.Model) -> keras.Model:
    """A new model of the same architecture holding a copy of the weights."""
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    return copy


HeadLayer = tuple[int, np.ndarray, np.ndarray | None]


def replace_head(encoder: keras.Model, layers: list[HeadLayer], name: str) -> keras.Model:
    """A copy of ``encoder`` whose head is Dense layers given as (units, kernel, bias or None).

    The new layers are named ``embedding`` (the last one) and ``embedding_factor<i>``.
    """
    copy = copy_encoder(encoder)
    features = embedding_head(copy).input
    for index, (units, kernel, bias) in enumerate(layers):
        last = index == len(layers) - 1
        layer = keras.layers.Dense(units, use_bias=bias is not None,
                                   name="embedding" if last else f"embedding_factor{index}")
        features = layer(features)
        layer.set_weights([kernel] if bias is None else [kernel, bias])
    return keras.Model(copy.input, features, name=name)
