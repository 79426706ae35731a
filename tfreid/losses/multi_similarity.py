"""Multi-Similarity loss with its pair mining (Wang et al., CVPR 2019; thesis 003 eq. 2.7).

On the pairs kept by ``MultiSimilarityMiner`` (the default miner), P_i and N_i:

    L_i = 1/alpha log[1 + sum_{k in P_i} exp(-alpha (S_ik - lambda))]
        + 1/beta  log[1 + sum_{k in N_i} exp( beta  (S_ik - lambda))]

averaged over the m anchors. Defaults alpha = 2, beta = 50, lambda = 0.5,
epsilon = 0.1, as pytorch-metric-learning's.

Example::

    from tfreid.losses import MultiSimilarityLoss

    loss = MultiSimilarityLoss(alpha=2, beta=50, base=0.5)
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.miners import MultiSimilarityMiner
from tfreid.losses.reductions import log1p_sum_exp
from tfreid.nn.distances import require_similarity


@serializable
class MultiSimilarityLoss(MetricLoss):
    """Multi-Similarity loss (formula above); ``miner`` defaults to MS mining with ``epsilon``."""

    config_fields = ("alpha", "beta", "base", "epsilon")
    default_distance = "cosine"

    def __init__(self, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5,
                 epsilon: float = 0.1, name: str = "multi_similarity_loss", **kwargs: Any):
        kwargs.setdefault("miner", MultiSimilarityMiner(epsilon))
        super().__init__(name=name, **kwargs)
        self.alpha, self.beta = float(alpha), float(beta)
        self.base, self.epsilon = float(base), float(epsilon)
        require_similarity(self.distance, "MultiSimilarityLoss")

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        s = self.distance.matrix(batch.embeddings, batch.keys)
        kept_positive, kept_negative = self.mined_pairs(batch, s)
        pull = log1p_sum_exp(-self.alpha * (s - self.base), kept_positive) / self.alpha
        push = log1p_sum_exp(self.beta * (s - self.base), kept_negative) / self.beta
        return pull + push
