"""Contrastive loss of Hadsell, Chopra and LeCun (CVPR 2006), as in paper 004 eq. 1.1.

    L = y d^2 + (1 - y) max(m - d, 0)^2

for a pair at distance d, y = 1 for the same identity. Two forms:

* ``ContrastivePairLoss``: the Siamese twin's form, on ``(same, distance)``, each (B,) or
  (B, 1) (the ``distance`` output of ``build_siamese``), one loss per pair, (B,), with
  ``reduction="none"`` as Keras's own losses;
* ``ContrastiveLoss``: a batch loss on ``(labels, embeddings)`` over the pairs of
  a P x K batch (or those a miner keeps). Each anchor's positives and
  negatives weigh equally, as in the pair sampler's 50/50 pairs:
  ``L_i = mean_{j in P_i} d_ij^2 + mean_{k in N_i} max(m - d_ik, 0)^2``.

Example::

    from tfreid.losses import BatchHardMiner, ContrastiveLoss

    loss = ContrastiveLoss(margin=1.0, miner=BatchHardMiner())  # on P x K batches
    value = loss(labels, embeddings)  # identities (B,), embeddings (B, D) -> the mean loss
    assert value.shape == () and value >= 0
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.loss import Loss
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_mean


@serializable
class ContrastivePairLoss(Loss):
    """The contrastive loss of pairs: ``y_true`` is 1 for a same-identity pair, ``y_pred``
    the pair's distance d (``safe_sqrt``: exactly 0 with a zero gradient at 0)."""

    def __init__(self, margin: float = 1.0, name: str = "contrastive_pair_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        """One loss per pair, shape (B,), for ``y_pred`` (B, 1) or (B,)."""
        distance = tf.cast(y_pred, tf.float32)
        distance = tf.reshape(distance, tf.shape(distance)[:1])
        same = tf.reshape(tf.cast(y_true, distance.dtype), tf.shape(distance))
        pull = same * tf.square(distance)
        push = (1.0 - same) * tf.square(tf.maximum(self.margin - distance, 0.0))
        return pull + push

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}


@serializable
class ContrastiveLoss(MetricLoss):
    """The contrastive loss over a batch's pairs, positives and negatives balanced per anchor."""

    config_fields = ("margin",)

    def __init__(self, margin: float = 1.0, name: str = "contrastive_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        if self.distance.is_similarity:
            raise ConfigError("ContrastiveLoss is defined on a distance (LpDistance); for "
                              "cosine similarity use CosineContrastiveLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        d = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, d)
        pull = masked_mean(tf.square(d), positive)
        push = masked_mean(tf.square(tf.nn.relu(self.margin - d)), negative)
        return pull + push
