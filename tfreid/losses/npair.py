"""N-pair loss (Sohn, NeurIPS 2016), as thesis 003 eq. 2.4:

    L_i = log(1 + sum_{y_k != y_i, y_j = y_i} exp(S_ik - S_ij))

summed over every positive j and negative k of anchor i, and averaged over the
m anchors. Since the double sum factorises,

    L_i = softplus( logsumexp_{k neg} S_ik + logsumexp_{j pos} (-S_ij) ),

which needs only the (B, B) matrix. An anchor without a positive or a negative
in the batch has an empty sum: L_i = log 1 = 0.
"""

from typing import Any

from tfreid.backend import tf
from tfreid.losses.metric_loss import MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.losses.similarities import check_similarity, similarity_matrix


class NPairLoss(MetricLoss):
    """N-pair loss (formula above) on ``similarity`` "cosine" (thesis) or "dot" (Sohn)."""

    config_fields = ("similarity",)

    def __init__(self, similarity: str = "cosine", name: str = "npair_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.similarity = check_similarity(similarity)

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        s = similarity_matrix(embeddings, self.similarity)
        positive, negative = self.masks(labels)
        usable = tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1))
        exponent = masked_logsumexp(s, negative) + masked_logsumexp(-s, positive)
        return tf.where(usable, tf.nn.softplus(exponent), 0.0)
