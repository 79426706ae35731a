"""Pair losses on cosine similarity over all pairs of a batch (or those a miner keeps).

For the pair (i, j), i != j, with cosine similarity S_ij:

* Cosine embedding loss (PyTorch's ``CosineEmbeddingLoss``; paper 002, 3.4.2):
  ``1 - S_ij`` for a same-label pair, ``max(0, S_ij - margin)`` otherwise.
* Contrastive loss in cosine form (thesis 003, eq. 2.2):
  ``(1 - I_ij) [S_ij - lambda]_+ - I_ij S_ij``, I_ij = 1 for a same-label pair.

The two differ by the constant 1 on positive pairs. Each anchor's loss is the
mean over its pairs, so the batch mean is the mean over all pairs.

* InsCLR's contrastive loss as its code computes it (zeludeng/insclr,
  contrastive_loss.py): ``sum_{pos} (1 - S_ij) + sum_{neg, S_ik > lambda} S_ik``
  per anchor, summed (not averaged) over its pairs, lambda = 0.4; its gradient
  is that of thesis eq. 3.9 (``ThresholdedContrastiveLoss``).

Example::

    from tfreid.losses import CosineEmbeddingLoss

    loss = CosineEmbeddingLoss(margin=0.0)
    encoder.compile(optimizer="adam", loss=loss)
    assert loss(labels, encoder(images)).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_mean
from tfreid.nn.distances import require_similarity


def mean_pair_loss(positive_terms: tf.Tensor, negative_terms: tf.Tensor,
                   positive: tf.Tensor, negative: tf.Tensor) -> tf.Tensor:
    """Per anchor: the mean over its pairs of the positive or negative term."""
    terms = tf.where(positive, positive_terms, negative_terms)
    return masked_mean(terms, tf.logical_or(positive, negative))


class _CosinePairLoss(MetricLoss):
    config_fields = ("margin",)
    default_distance = "cosine"

    def __init__(self, margin: float, name: str, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        require_similarity(self.distance, type(self).__name__)

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, s)
        return mean_pair_loss(self.positive_term(s), tf.nn.relu(s - self.margin), positive,
                              negative)


@serializable
class CosineEmbeddingLoss(_CosinePairLoss):
    """Cosine embedding loss over the pairs of the batch (formula above), margin in [-1, 1]."""

    def __init__(self, margin: float = 0.0, name: str = "cosine_embedding_loss", **kwargs: Any):
        super().__init__(margin, name, **kwargs)

    def positive_term(self, s: tf.Tensor) -> tf.Tensor:
        return 1.0 - s


@serializable
class CosineContrastiveLoss(_CosinePairLoss):
    """Contrastive loss of thesis 003 eq. 2.2 over the pairs of the batch (formula above)."""

    def __init__(self, margin: float = 0.5, name: str = "cosine_contrastive_loss",
                 **kwargs: Any):
        super().__init__(margin, name, **kwargs)

    def positive_term(self, s: tf.Tensor) -> tf.Tensor:
        return -s


@serializable
class ThresholdedContrastiveLoss(MetricLoss):
    """InsCLR's contrastive loss (formula above): per anchor, the sum of 1 - S over its
    positives and of S over its negatives more similar than ``margin``."""

    config_fields = ("margin",)
    default_distance = "cosine"

    def __init__(self, margin: float = 0.4, name: str = "thresholded_contrastive_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        require_similarity(self.distance, "ThresholdedContrastiveLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, s)
        pull = tf.reduce_sum(tf.where(positive, 1.0 - s, 0.0), axis=1)
        push = tf.reduce_sum(tf.where(tf.logical_and(negative, s > self.margin), s, 0.0), axis=1)
        return pull + push
