"""Multi-Similarity loss with its pair mining (Wang et al., CVPR 2019; thesis 003 eq. 2.7).

Mining keeps, for anchor i, the informative pairs only:

* a negative k if  S_ik > min_{y_j = y_i} S_ij - epsilon,
* a positive k if  S_ik < max_{y_j != y_i} S_ij + epsilon,

and on the kept sets P_i, N_i:

    L_i = 1/alpha log[1 + sum_{k in P_i} exp(-alpha (S_ik - lambda))]
        + 1/beta  log[1 + sum_{k in N_i} exp( beta  (S_ik - lambda))]

averaged over the m anchors. Defaults alpha = 2, beta = 50, lambda = 0.5,
epsilon = 0.1, as pytorch-metric-learning's.
"""

from typing import Any

from tfreid.backend import tf
from tfreid.losses.metric_loss import MetricLoss
from tfreid.losses.reductions import log1p_sum_exp
from tfreid.losses.similarities import check_similarity, similarity_matrix


def multi_similarity_mining(s: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor,
                            epsilon: float) -> tuple[tf.Tensor, tf.Tensor]:
    """(kept positives, kept negatives) masks of the rule above (no gradient)."""
    s = tf.stop_gradient(s)
    hardest_positive = tf.reduce_min(tf.where(positive, s, s.dtype.max), axis=1, keepdims=True)
    hardest_negative = tf.reduce_max(tf.where(negative, s, s.dtype.min), axis=1, keepdims=True)
    kept_negative = tf.logical_and(negative, s > hardest_positive - epsilon)
    kept_positive = tf.logical_and(positive, s < hardest_negative + epsilon)
    return kept_positive, kept_negative


class MultiSimilarityLoss(MetricLoss):
    """Multi-Similarity loss with MS mining (formula above)."""

    config_fields = ("alpha", "beta", "base", "epsilon", "similarity")

    def __init__(self, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5,
                 epsilon: float = 0.1, similarity: str = "cosine",
                 name: str = "multi_similarity_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.alpha, self.beta = float(alpha), float(beta)
        self.base, self.epsilon = float(base), float(epsilon)
        self.similarity = check_similarity(similarity)

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        s = similarity_matrix(embeddings, self.similarity)
        kept_positive, kept_negative = multi_similarity_mining(s, *self.masks(labels),
                                                               self.epsilon)
        pull = log1p_sum_exp(-self.alpha * (s - self.base), kept_positive) / self.alpha
        push = log1p_sum_exp(self.beta * (s - self.base), kept_negative) / self.beta
        return pull + push
