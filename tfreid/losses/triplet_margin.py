"""Triplet margin loss over all triplets of a batch (PyTorch's ``TripletMarginLoss``).

    L(a, p, n) = max(0, d(a, p) - d(a, n) + margin)

with d the plain l2 distance (paper 002, 3.4.3; PyTorch's default p = 2), over
every triplet the batch holds: p != a with a's label, n with another label. An
anchor's loss is the mean over its triplets. It holds a (B, B, B) tensor: keep
batches to a few hundred rows.
"""

from typing import Any

from tfreid.backend import tf
from tfreid.losses.distances import pairwise_distance_matrix
from tfreid.losses.metric_loss import MetricLoss
from tfreid.losses.reductions import masked_mean


class TripletMarginLoss(MetricLoss):
    """Batch triplet margin loss (formula above); ``squared=True`` uses d^2."""

    config_fields = ("margin", "squared")

    def __init__(self, margin: float = 1.0, squared: bool = False,
                 name: str = "triplet_margin_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        self.squared = bool(squared)

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        d = pairwise_distance_matrix(embeddings, self.squared)
        positive, negative = self.masks(labels)
        losses = tf.nn.relu(d[:, :, None] - d[:, None, :] + self.margin)  # (a, p, n)
        valid = tf.logical_and(positive[:, :, None], negative[:, None, :])
        batch = tf.shape(d)[0]
        return masked_mean(tf.reshape(losses, [batch, -1]), tf.reshape(valid, [batch, -1]))
