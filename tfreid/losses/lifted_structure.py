"""Lifted Structure loss (Oh Song et al., CVPR 2016), generalised form of thesis 003 eq. 2.5:

    L_i = [ log sum_{y_k = y_i, k != i} exp(lambda - S_ik) + log sum_{y_k != y_i} exp(S_ik) ]_+

Every positive and every negative of the batch (or those a miner keeps) enters
each anchor's loss through a soft maximum. The thesis sums over anchors
(``reduction="sum"``); the default averages. An anchor without a positive or a
negative gives 0.

Example::

    from tfreid.losses import CosineSimilarity, LiftedStructureLoss

    loss = LiftedStructureLoss(margin=1.0, distance=CosineSimilarity())
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.nn.distances import require_similarity


@serializable
class LiftedStructureLoss(MetricLoss):
    """Lifted Structure loss (formula above) with margin ``lambda`` on a similarity."""

    config_fields = ("margin",)
    default_distance = "cosine"

    def __init__(self, margin: float = 1.0, name: str = "lifted_structure_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        require_similarity(self.distance, "LiftedStructureLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, s)
        usable = tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1))
        value = masked_logsumexp(self.margin - s, positive) + masked_logsumexp(s, negative)
        return tf.where(usable, tf.nn.relu(value), 0.0)
