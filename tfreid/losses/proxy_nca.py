"""ProxyNCA loss (Movshovitz-Attias et al., ICCV 2017), as thesis 003 eq. 2.6:

    L(x) = -log( exp(s S(x, p_y)) / sum_{c != y} exp(s S(x, p_c)) )
         = -s S(x, p_y) + logsumexp_{c != y} s S(x, p_c)

with one trainable proxy p_c per class, S the cosine similarity and s a scale
(1 in the thesis). The positive proxy is not in the denominator (NCA form).
Labels must lie in [0, num_classes).
"""

from typing import Any

import numpy as np

from tfreid.backend import keras, tf
from tfreid.losses.metric_loss import MetricLoss
from tfreid.losses.reductions import masked_logsumexp
from tfreid.losses.similarities import check_similarity, similarity_matrix


class ProxyNCALoss(MetricLoss):
    """ProxyNCA loss (formula above); the proxies are a trainable (C, D) variable.

    Keras trains a model's own variables only: ``attach(model)`` makes the
    proxies part of ``model.trainable_weights`` before ``fit``. They are weights,
    not configuration: ``get_config`` rebuilds freshly initialised proxies.
    """

    config_fields = ("num_classes", "embedding_dim", "scale", "similarity", "seed")

    def __init__(self, num_classes: int, embedding_dim: int, scale: float = 1.0,
                 similarity: str = "cosine", seed: int = 0, name: str = "proxy_nca_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        if num_classes < 2 or embedding_dim < 1:
            raise ValueError(f"ProxyNCA needs >= 2 classes and >= 1 dimension, got "
                             f"{num_classes} classes x {embedding_dim}")
        self.num_classes, self.embedding_dim = int(num_classes), int(embedding_dim)
        self.scale, self.seed = float(scale), int(seed)
        self.similarity = check_similarity(similarity)
        initial = np.random.default_rng(seed).normal(size=(num_classes, embedding_dim))
        self.proxies = tf.Variable(initial.astype(np.float32), name="proxies")

    def attach(self, model: keras.Model) -> keras.Model:
        """Track the proxies as a trainable weight of ``model`` (returned)."""
        model.proxy_nca_proxies = self.proxies
        return model

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        logits = self.scale * similarity_matrix(embeddings, self.similarity, self.proxies)
        own = tf.one_hot(tf.cast(labels, tf.int32), self.num_classes, on_value=True,
                         off_value=False)
        positive = tf.reduce_sum(tf.where(own, logits, 0.0), axis=1)
        return masked_logsumexp(logits, tf.logical_not(own)) - positive
