"""Lifted Structure loss (Oh Song et al., CVPR 2016), generalised form of thesis 003 eq. 2.5:

    L_i = [ log sum_{y_k = y_i, k != i} exp(lambda - S_ik) + log sum_{y_k != y_i} exp(S_ik) ]_+

Every positive and every negative of the batch enters each anchor's loss
through a soft maximum. The thesis sums over anchors (``reduction="sum"``);
the default averages. An anchor without a positive or a negative gives 0.
"""

from typing import Any

from tfreid.backend import tf
from tfreid.losses.metric_loss import MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.losses.similarities import check_similarity, similarity_matrix


class LiftedStructureLoss(MetricLoss):
    """Lifted Structure loss (formula above) with margin ``lambda`` on ``similarity``."""

    config_fields = ("margin", "similarity")

    def __init__(self, margin: float = 1.0, similarity: str = "cosine",
                 name: str = "lifted_structure_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        self.similarity = check_similarity(similarity)

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        s = similarity_matrix(embeddings, self.similarity)
        positive, negative = self.masks(labels)
        usable = tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1))
        value = masked_logsumexp(self.margin - s, positive) + masked_logsumexp(s, negative)
        return tf.where(usable, tf.nn.relu(value), 0.0)
