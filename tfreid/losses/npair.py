"""N-pair loss (Sohn, NeurIPS 2016), as thesis 003 eq. 2.4:

    L_i = log(1 + sum_{y_k != y_i, y_j = y_i} exp(S_ik - S_ij))

summed over every positive j and negative k of anchor i, and averaged over the
m anchors. Since the double sum factorises,

    L_i = softplus( logsumexp_{k neg} S_ik + logsumexp_{j pos} (-S_ij) ),

which needs only the (B, N) matrix. An anchor without a positive or a negative
in the batch has an empty sum: L_i = log 1 = 0.

Example::

    from tfreid.losses import DotProductSimilarity, NPairLoss

    loss = NPairLoss(distance=DotProductSimilarity())  # Sohn's original
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.nn.distances import require_similarity


@serializable
class NPairLoss(MetricLoss):
    """N-pair loss (formula above) on cosine similarity (thesis) or the dot product (Sohn)."""

    default_distance = "cosine"

    def __init__(self, name: str = "npair_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        require_similarity(self.distance, "NPairLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, s)
        usable = tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1))
        exponent = masked_logsumexp(s, negative) + masked_logsumexp(-s, positive)
        return tf.where(usable, tf.nn.softplus(exponent), 0.0)
