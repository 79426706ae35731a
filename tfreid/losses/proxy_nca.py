"""ProxyNCA loss (Movshovitz-Attias et al., ICCV 2017), as thesis 003 eq. 2.6:

    L(x) = -log( exp(s S(x, p_y)) / sum_{c != y} exp(s S(x, p_c)) )
         = -s S(x, p_y) + logsumexp_{c != y} s S(x, p_c)

with one trainable proxy p_c per class, S the cosine similarity and s a scale
(1 in the thesis). The positive proxy is not in the denominator (NCA form).
Labels must lie in [0, num_classes).

Example::

    from tfreid.losses import ProxyNCALoss

    loss = ProxyNCALoss(num_classes=4, embedding_dim=16)
    model = loss.attach(encoder)          # the proxies train and save with the model
    model.compile("adam", loss=loss)      # then model.fit(images, labels, ...)
    assert loss(labels, model(images)).shape == ()  # labels in [0, num_classes)
"""

from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.class_vectors import ClassVectors
from tfreid.losses.metric_loss import Batch, MetricLoss, require_arguments
from tfreid.losses.reductions import masked_logsumexp
from tfreid.nn.distances import require_similarity


@serializable
class Proxies(ClassVectors):
    """One trainable proxy per class: a (num_classes, embedding_dim) weight, drawn from a
    standard normal seeded by ``seed``."""

    attribute, weight_name, what = "proxies", "proxies", "ProxyNCA"


@serializable
class ProxyNCALoss(MetricLoss):
    """ProxyNCA loss (formula above). ``attach(model)`` before training: it returns the model
    that trains (and saves) the proxies; training without it is an error."""

    config_fields = ("num_classes", "embedding_dim", "scale", "seed")
    default_distance = "cosine"
    uses_keys = False

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 scale: float = 1.0, seed: int = 0, name: str = "proxy_nca_loss", **kwargs: Any):
        # None: a one-line error naming what to pass, not Python's bare TypeError
        require_arguments("ProxyNCALoss(num_classes=..., embedding_dim=...)",
                          num_classes=num_classes, embedding_dim=embedding_dim)
        super().__init__(name=name, **kwargs)
        if self.miner is not None:
            raise ConfigError("ProxyNCALoss compares each embedding with every proxy: it "
                              "takes no miner")
        require_similarity(self.distance, "ProxyNCALoss")
        self.scale = float(scale)
        self.layer = Proxies(num_classes, embedding_dim, seed, name="proxies")
        self.num_classes, self.embedding_dim, self.seed = int(num_classes), \
            int(embedding_dim), int(seed)
        self.attached = False

    @property
    def proxies(self) -> tf.Variable:
        return self.layer.proxies

    def attach(self, model: keras.Model) -> keras.Model:
        """The model to train: ``model`` with the proxies tracked (an ``EmbeddingTrainer``)."""
        from tfreid.nn.embedding_trainer import attach_state

        trainer, self.layer = attach_state(model, self.layer)
        if tuple(self.layer.proxies.shape) != (self.num_classes, self.embedding_dim):
            raise ConfigError(f"the model's proxies are {tuple(self.layer.proxies.shape)}, the "
                              f"loss wants ({self.num_classes}, {self.embedding_dim})")
        self.attached = True
        return trainer

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        if not self.attached:
            raise ConfigError("ProxyNCALoss: call loss.attach(model) and train the model it "
                              "returns, or the proxies never train")
        labels = tf.cast(batch.labels, tf.int32)
        tf.debugging.assert_non_negative(labels, "ProxyNCALoss: labels must be >= 0")
        tf.debugging.assert_less(labels, self.num_classes,
                                 f"ProxyNCALoss: labels must lie in [0, {self.num_classes})")
        logits = self.scale * self.distance.matrix(batch.embeddings, self.proxies)
        own = tf.one_hot(labels, self.num_classes, on_value=True, off_value=False)
        positive = tf.reduce_sum(tf.where(own, logits, 0.0), axis=1)
        return masked_logsumexp(logits, tf.logical_not(own)) - positive
