"""Supervised contrastive loss, L^sup_out (Khosla et al., NeurIPS 2020, eq. 2).

With normalised embeddings z (cosine similarity s_ia = z_i.z_a), temperature tau,
anchor i's positives P(i) (its label, a != i) and A(i) = every key a != i:

    L_i = -1/|P(i)| sum_{p in P(i)} log( exp(s_ip / tau) / sum_{a in A(i)} exp(s_ia / tau) )
        = logsumexp_{a in A(i)} s_ia / tau - 1/|P(i)| sum_{p in P(i)} s_ip / tau

averaged over the anchors; the second form is what is computed, with no bare exp,
so tau = 0.01 (exponents up to 100) stays finite. With a miner, P(i) and A(i) are
the mined positives and the mined positives and negatives (as pytorch-metric-learning's
SupConLoss). An anchor without a positive gives 0 (as NPairLoss; the mean stays over
all anchors), yet still counts in the others' A(i).

Default tau = 0.1: pytorch-metric-learning's SupConLoss default (tfreid follows its
defaults, as for MultiSimilarityLoss). The authors' SupContrast code defaults to 0.07
(MoCo's value); a lower tau weighs the hardest negatives more.

Example::

    from tfreid.losses import SupervisedContrastiveLoss

    loss = SupervisedContrastiveLoss(temperature=0.07)
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_logsumexp, masked_mean
from tfreid.nn.distances import require_similarity


@serializable
class SupervisedContrastiveLoss(MetricLoss):
    """Supervised contrastive loss L^sup_out (formula above) at ``temperature`` tau."""

    config_fields = ("temperature",)
    default_distance = "cosine"

    def __init__(self, temperature: float = 0.1, name: str = "supervised_contrastive_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.temperature = float(temperature)
        if self.temperature <= 0:
            raise ConfigError(f"SupervisedContrastiveLoss temperature must be > 0, "
                              f"got {temperature}")
        require_similarity(self.distance, "SupervisedContrastiveLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, s)  # miners see s, not s / tau
        logits = s / self.temperature
        others = tf.logical_or(positive, negative)
        value = masked_logsumexp(logits, others) - masked_mean(logits, positive)
        return tf.where(tf.reduce_any(positive, 1), value, 0.0)
