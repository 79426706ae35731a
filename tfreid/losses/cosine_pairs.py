"""Pair losses on cosine similarity over all pairs of a batch.

For the pair (i, j), i != j, with cosine similarity S_ij:

* Cosine embedding loss (PyTorch's ``CosineEmbeddingLoss``; paper 002, 3.4.2):
  ``1 - S_ij`` for a same-label pair, ``max(0, S_ij - margin)`` otherwise.
* Contrastive loss in cosine form (thesis 003, eq. 2.2):
  ``(1 - I_ij) [S_ij - lambda]_+ - I_ij S_ij``, I_ij = 1 for a same-label pair.

The two differ by the constant 1 on positive pairs. Each anchor's loss is the
mean over its B - 1 pairs, so the batch mean is the mean over all pairs.
"""

from typing import Any

from tfreid.backend import tf
from tfreid.losses.metric_loss import MetricLoss
from tfreid.losses.reductions import masked_mean
from tfreid.losses.similarities import similarity_matrix


def mean_pair_loss(positive_terms: tf.Tensor, negative_terms: tf.Tensor,
                   positive: tf.Tensor, negative: tf.Tensor) -> tf.Tensor:
    """Per anchor: the mean over its pairs of the positive or negative term."""
    terms = tf.where(positive, positive_terms, negative_terms)
    return masked_mean(terms, tf.logical_or(positive, negative))


class CosineEmbeddingLoss(MetricLoss):
    """Cosine embedding loss over all pairs of the batch (formula above), margin in [-1, 1]."""

    config_fields = ("margin",)

    def __init__(self, margin: float = 0.0, name: str = "cosine_embedding_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        s = similarity_matrix(embeddings, "cosine")
        positive, negative = self.masks(labels)
        return mean_pair_loss(1.0 - s, tf.nn.relu(s - self.margin), positive, negative)


class CosineContrastiveLoss(MetricLoss):
    """Contrastive loss of thesis 003 eq. 2.2 over all pairs of the batch (formula above)."""

    config_fields = ("margin",)

    def __init__(self, margin: float = 0.5, name: str = "cosine_contrastive_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        s = similarity_matrix(embeddings, "cosine")
        positive, negative = self.masks(labels)
        return mean_pair_loss(-s, tf.nn.relu(s - self.margin), positive, negative)
