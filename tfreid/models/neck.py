"""BNNeck: batch normalisation without a shift after the embedding.

Luo et al., "Bag of Tricks and A Strong Baseline for Deep Person Re-identification",
CVPRW 2019, section 3.5: the triplet loss is trained on the features f_t before the neck
and the identity (softmax) loss on f_i = BN(f_t) after it; at inference the exported
feature is f_i. The BN has no bias (``center=False``): per dimension d,

    f_i[d] = gamma[d] (f_t[d] - mu[d]) / sqrt(var[d] + eps)

with mu, var the batch's statistics in training and the moving ones at inference.

An encoder built with ``neck="bnneck"`` (``tfreid.models.applications``) outputs f_i, so
evaluation and export use it; the classification method (``--method classification``)
trains its triplet loss on f_t through ``features_before_neck(encoder)``.

Example::

    from tfreid.models.backbones import build_encoder
    from tfreid.models.neck import features_before_neck

    encoder = build_encoder("table1", (40, 40), 16, width=0.25, neck="bnneck")
    both = features_before_neck(encoder)
    before, after = both(images, training=True)   # triplet loss on before, softmax on after
"""

from tfreid.backend import keras
from tfreid.models.applications import NECKS

BNNECK_NAME = "bnneck"


def bnneck(name: str = BNNECK_NAME) -> keras.layers.BatchNormalization:
    """The neck layer: BatchNormalization with ``center=False`` (no beta), in float32."""
    return keras.layers.BatchNormalization(center=False, name=name, dtype="float32")


def add_neck(embeddings, neck: str):
    """``embeddings`` through the ``neck`` ("none": as they are; "bnneck": ``bnneck()``)."""
    if neck not in NECKS:
        raise ValueError(f"neck must be one of {', '.join(NECKS)}, got {neck!r}")
    return bnneck()(embeddings) if neck == "bnneck" else embeddings


def features_before_neck(encoder: keras.Model) -> keras.Model:
    """A model of ``encoder``'s inputs to two outputs, the features before its BNNeck
    (f_t) and after it (the encoder's output, f_i), sharing ``encoder``'s weights. Without
    a neck both outputs are the encoder's output. ``encoder`` is one functional encoder
    (an ensemble's members each have their own neck)."""
    after = encoder.outputs[0]
    try:
        before = encoder.get_layer(BNNECK_NAME).input
    except ValueError:
        before = after
    return keras.Model(encoder.inputs, [before, after], name=f"{encoder.name}_before_neck")
