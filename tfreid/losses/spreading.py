"""Instance discrimination with spread-out negatives (Ye et al., CVPR 2019, "Spreading";
thesis 003, section 3.1), as the authors' code computes it (UEL BatchAverage.py).

A batch holds 2m rows: two augmented views of m images; ``labels`` are instance
ids, so each row's positive is found by id, whatever the batch layout. With
z the L2-normalised embeddings, sg the stop-gradient, tau the temperature:

    e_ik = exp(z_i . sg(z_k) / tau),   Z_i = sum_{k != i} e_ik,
    P_i  = sum_{p in pos(i)} e_ip / Z_i
    J_i  = -[ log P_i + sum_{k not in {i} u pos(i)} log(1 - e_ik / Z_i) ]

and the loss is the mean of J_i over the 2m rows (both views query: the
code's symmetric form). The thesis (eq. 3.1-3.5) writes a one-sided form with
only the m originals in the denominator, no stop-gradient and a plain sum;
tfreid follows the code, which is what produced the published numbers
(``stop_gradient=False`` lets gradient flow into the keys too). Temperature
0.1 as the code.

Example::

    from tfreid.losses import SpreadingLoss

    loss = SpreadingLoss(temperature=0.1)
    # labels: the instance (source image) of each row, two augmented views each, as
    # anchor_positive_dataset(..., labels=instance ids) gives them
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.nn.distances import require_similarity


@serializable
class SpreadingLoss(MetricLoss):
    """The Spreading instance-discrimination loss (formula above)."""

    config_fields = ("temperature", "stop_gradient")
    default_distance = "cosine"

    def __init__(self, temperature: float = 0.1, stop_gradient: bool = True,
                 name: str = "spreading_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.temperature, self.stop_gradient = float(temperature), bool(stop_gradient)
        require_similarity(self.distance, "SpreadingLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        keys = tf.stop_gradient(batch.keys) if self.stop_gradient else batch.keys
        logits = self.distance.matrix(batch.embeddings, keys) / self.temperature
        positive, negative = self.mined_pairs(batch, logits)
        others = tf.logical_or(positive, negative)  # every key but the row itself
        log_z = masked_logsumexp(logits, others)[:, None]
        log_p = masked_logsumexp(logits, positive) - log_z[:, 0]
        share = tf.minimum(tf.exp(logits - log_z), 1.0 - 1e-6)
        spread = tf.reduce_sum(tf.where(negative, tf.math.log1p(-share), 0.0), axis=1)
        usable = tf.reduce_any(positive, axis=1)
        return tf.where(usable, -(log_p + spread), 0.0)
