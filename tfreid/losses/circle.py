"""Circle loss, pair form (Sun et al., CVPR 2020, eq. 6 with the margins of eq. 8).

With the similarities s_p of anchor i's positives and s_n of its negatives (those a
miner keeps, if one is given), margin m and scale gamma:

    alpha_p = [1 + m - s_p]_+,  alpha_n = [s_n + m]_+,  Delta_p = 1 - m,  Delta_n = m
    L_i = softplus( logsumexp_n gamma alpha_n (s_n - Delta_n)
                  + logsumexp_p -gamma alpha_p (s_p - Delta_p) )

averaged over the anchors. alpha_p and alpha_n weigh each similarity by how far it is
from its optimum (1 + m for s_p, -m for s_n) and are held constant in the gradient,
as in the paper and pytorch-metric-learning. Only logsumexp and softplus are taken,
never a bare exp: gamma = 256 gives exponents up to gamma (2 + m)(2 - m) ~ 1000,
which a naive exp overflows in float32. An anchor without a positive or a negative in
the batch gives 0 (as NPairLoss and LiftedStructureLoss; the mean stays over all anchors).

Defaults m = 0.25, gamma = 256: the paper's values for person re-identification and
face recognition, tfreid's tasks. pytorch-metric-learning's CircleLoss defaults to
m = 0.4, gamma = 80, the paper's values for fine-grained image retrieval (CUB, Cars).

Example::

    from tfreid.losses import CircleLoss

    loss = CircleLoss(margin=0.4, gamma=80)  # fine-grained retrieval
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.nn.distances import require_similarity


@serializable
class CircleLoss(MetricLoss):
    """Circle loss (formula above) with relaxation ``margin`` m and scale ``gamma``."""

    config_fields = ("margin", "gamma")
    default_distance = "cosine"

    def __init__(self, margin: float = 0.25, gamma: float = 256.0, name: str = "circle_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin, self.gamma = float(margin), float(gamma)
        if self.gamma <= 0:
            raise ConfigError(f"CircleLoss gamma must be > 0, got {gamma}")
        require_similarity(self.distance, "CircleLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        positive, negative = self.mined_pairs(batch, s)
        usable = tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1))
        return tf.where(usable, tf.nn.softplus(self.exponent(s, positive, negative)), 0.0)

    def exponent(self, s: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor) -> tf.Tensor:
        """(B,) argument of the softplus: the two logsumexps of the formula."""
        m = self.margin
        fixed = tf.stop_gradient(s)
        alpha_p, alpha_n = tf.nn.relu(1.0 + m - fixed), tf.nn.relu(fixed + m)
        pull = -self.gamma * alpha_p * (s - (1.0 - m))
        push = self.gamma * alpha_n * (s - m)
        return masked_logsumexp(push, negative) + masked_logsumexp(pull, positive)
