"""Proxy-Anchor loss (Kim et al., "Proxy Anchor Loss for Deep Metric Learning", CVPR 2020):

    L = 1/|P+| sum_{p in P+} log(1 + sum_{x in X_p+} exp(-alpha (s(x, p) - delta)))
      + 1/|P|  sum_{p in P}  log(1 + sum_{x in X_p-} exp( alpha (s(x, p) + delta)))

with one trainable proxy p per class (P, |P| = num_classes), s the cosine, X_p+ the
batch's embeddings of p's class, X_p- the others, P+ the proxies with at least one
embedding in the batch, alpha the scale and delta the margin (``margin``). Each
log(1 + sum exp) is a masked log-sum-exp with a 0 term added (softplus of a logsumexp),
so no exp overflows; a proxy without positives (negatives) adds nothing to its sum.
Defaults alpha = 32, delta = 0.1: the paper's.

The loss is one value of the whole batch, not a sum over anchors. For Keras' reduction it
returns that value at every anchor, (B,) with each entry L: the default mean reduction
(and ``reduction="none"``'s mean) is then L, ``"sum"`` is B L, and a ``sample_weight``
scales L by the mean weight (it cannot weigh anchors one by one). Under ``tf.distribute``
each replica computes L over its own rows (``uses_keys = False``, never gathered) and the
replicas' gradients average. Labels must lie in [0, num_classes) (a ConfigError for known
labels; see ``margin_softmax``). The proxies are a ``Proxies`` layer: ``attach(model)``
before training, as for ProxyNCA.

Example::

    from tfreid.losses import ProxyAnchorLoss

    loss = ProxyAnchorLoss(num_classes=4, embedding_dim=16)
    model = loss.attach(encoder)          # the proxies train and save with the model
    model.compile("adam", loss=loss)      # then model.fit(images, labels, ...)
    assert loss(labels, model(images)).shape == ()  # labels in [0, num_classes)
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.margin_softmax import ProxyBasedLoss
from tfreid.losses.metric_loss import Batch
from tfreid.losses.reductions import log1p_sum_exp


@serializable
class ProxyAnchorLoss(ProxyBasedLoss):
    """Proxy-Anchor loss (formula above): the batch value at each anchor."""

    config_fields = ("num_classes", "embedding_dim", "alpha", "margin", "seed")

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 alpha: float = 32.0, margin: float = 0.1, seed: int = 0,
                 name: str = "proxy_anchor_loss", **kwargs: Any):
        super().__init__(num_classes, embedding_dim, seed, name, **kwargs)
        if alpha <= 0:
            raise ConfigError(f"ProxyAnchorLoss needs alpha > 0, got {alpha}")
        self.alpha, self.margin = float(alpha), float(margin)

    def batch_loss(self, labels: tf.Tensor, cos: tf.Tensor) -> tf.Tensor:
        """The scalar L of cosines (B, C) with the proxies."""
        own = tf.transpose(tf.one_hot(labels, self.num_classes, on_value=True,
                                      off_value=False))  # (C, B): proxy p, embedding x
        cos = tf.transpose(cos)
        pull = log1p_sum_exp(-self.alpha * (cos - self.margin), own)
        push = log1p_sum_exp(self.alpha * (cos + self.margin), tf.logical_not(own))
        with_positives = tf.reduce_sum(tf.cast(tf.reduce_any(own, axis=1), tf.float32))
        return (tf.math.divide_no_nan(tf.reduce_sum(pull), with_positives)
                + tf.reduce_sum(push) / self.num_classes)

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        labels, cos = self.cosines(batch)
        return tf.fill(tf.shape(labels), self.batch_loss(labels, cos))
