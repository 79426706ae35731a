"""Margin-softmax losses: a cross-entropy over the cosines of an embedding with one trainable
weight per class, the true class's logit pushed down by a margin.

With W (C, D) the class weights and x (B, D) the embeddings, both L2-normalised,
cos_j = W_j . x (theta_j its angle), y the label, s the scale and m the margin,
each loss is L(x) = -log softmax(z)_y, with logits z:

* ``ArcFaceLoss`` (additive angular margin; Deng et al., "ArcFace", CVPR 2019):
  z_y = s cos(theta_y + m), z_j = s cos_j. cos(theta + m) is computed as
  cos cos m - sin sin m with sin = sqrt(max(1 - cos^2, 1e-12)), never through acos, whose
  gradient is infinite at cos = +-1. Where theta_y + m > pi (cos_y <= cos(pi - m)) the
  angle would wrap round and the logit rise again; there, as insightface's
  ``arcface_torch`` does, z_y = s (cos_y - m sin m), which keeps decreasing in theta.
  Defaults s = 64, m = 0.5 (the paper's and insightface's).
* ``CosFaceLoss`` (additive cosine margin, AM-softmax; Wang et al., "CosFace", CVPR 2018):
  z_y = s (cos_y - m), z_j = s cos_j. Defaults s = 64, m = 0.35 (the paper's s = 64, and
  fast-reid's margin for its cosine-margin heads).
* ``CircleSoftmaxLoss`` (the classification form of Circle loss; Sun et al., "Circle
  Loss", CVPR 2020; fast-reid's ``CircleSoftmax``): with alpha_p = max(0, 1 + m - cos_y),
  alpha_n = max(0, cos_j + m) (held constant: no gradient flows through them),
  z_y = s alpha_p (cos_y - (1 - m)), z_j = s alpha_n (cos_j - m). Defaults s = 64,
  m = 0.35 (fast-reid's SBS configurations).

s = 64 rather than 30: the papers' and fast-reid's value; the softmax saturates less
early with many classes. Logits and the cross-entropy are computed in float32, so the
losses are safe under mixed precision (float16 embeddings are cast first).

The class weights are a ``Proxies`` layer (standard normal, seeded): like ProxyNCA's,
``attach(model)`` before training returns the model that trains, saves and loads them
(an ``EmbeddingTrainer``; ``tfreid.load_model`` reattaches). Labels must lie in
[0, num_classes): known labels (eager calls) outside are a ConfigError, traced ones an
InvalidArgumentError where asserts run (not under XLA, which drops them). The losses
compare each embedding with the weights only, so under ``tf.distribute`` each replica
computes its own rows' losses (``uses_keys = False``, never gathered).

Example::

    from tfreid.losses import ArcFaceLoss

    loss = ArcFaceLoss(num_classes=4, embedding_dim=16)
    model = loss.attach(encoder)          # the class weights train and save with the model
    model.compile("adam", loss=loss)      # then model.fit(images, labels, ...)
    assert loss(labels, model(images)).shape == ()  # labels in [0, num_classes)
"""

import math
from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.metric_loss import Batch, MetricLoss, require_arguments
from tfreid.losses.proxy_nca import Proxies
from tfreid.nn.distances import CosineSimilarity, l2_normalize

SIN_FLOOR = 1e-12  # 1 - cos^2 is at least this under the square root: a finite gradient


class ProxyBasedLoss(MetricLoss):
    """A loss comparing each embedding with one trainable vector per class (the margin
    softmaxes' class weights, Proxy-Anchor's proxies) by cosine: the shared constructor,
    ``attach`` and the checked (labels, cosines) of a batch. No miner; cosine only."""

    default_distance = "cosine"
    uses_keys = False

    def __init__(self, num_classes: int | None, embedding_dim: int | None, seed: int,
                 name: str, **kwargs: Any):
        owner = type(self).__name__
        require_arguments(f"{owner}(num_classes=..., embedding_dim=...)",
                          num_classes=num_classes, embedding_dim=embedding_dim)
        super().__init__(name=name, **kwargs)
        if self.miner is not None:
            raise ConfigError(f"{owner} compares each embedding with every class: it takes "
                              f"no miner")
        if not isinstance(self.distance, CosineSimilarity):
            raise ConfigError(f"{owner} is defined on the cosine, not "
                              f"{type(self.distance).__name__}")
        if int(num_classes) < 2 or int(embedding_dim) < 1:
            raise ConfigError(f"{owner} needs >= 2 classes and >= 1 dimension, got "
                              f"{num_classes} x {embedding_dim}")
        self.num_classes, self.embedding_dim, self.seed = int(num_classes), \
            int(embedding_dim), int(seed)
        self.layer = Proxies(self.num_classes, self.embedding_dim, self.seed, name="proxies")
        self.attached = False

    @property
    def proxies(self) -> tf.Variable:
        """The (num_classes, embedding_dim) class weights."""
        return self.layer.proxies

    def attach(self, model: keras.Model) -> keras.Model:
        """The model to train: ``model`` with the class weights tracked (an
        ``EmbeddingTrainer``; one that already holds ``Proxies`` lends them)."""
        from tfreid.nn.embedding_trainer import attach_state

        trainer, self.layer = attach_state(model, self.layer)
        if tuple(self.layer.proxies.shape) != (self.num_classes, self.embedding_dim):
            raise ConfigError(f"the model's class weights are {tuple(self.layer.proxies.shape)}"
                              f", {type(self).__name__} wants ({self.num_classes}, "
                              f"{self.embedding_dim})")
        self.attached = True
        return trainer

    def checked_labels(self, labels: tf.Tensor) -> tf.Tensor:
        """``labels`` as int32, checked to lie in [0, num_classes) (module docstring)."""
        labels = tf.cast(labels, tf.int32)
        known = tf.get_static_value(labels)
        bounds = f"{type(self).__name__}: labels must lie in [0, {self.num_classes})"
        if known is not None:
            if known.size and (known.min() < 0 or known.max() >= self.num_classes):
                raise ConfigError(f"{bounds}, got {known.min()} to {known.max()}")
            return labels
        checks = [tf.debugging.assert_non_negative(labels, bounds),
                  tf.debugging.assert_less(labels, self.num_classes, bounds)]
        with tf.control_dependencies(checks):  # before any op that fails on them less clearly
            return tf.identity(labels)

    def cosines(self, batch: Batch) -> tuple[tf.Tensor, tf.Tensor]:
        """(labels (B,) int32, cosines (B, C) in [-1, 1], float32) of the batch."""
        if not self.attached:
            raise ConfigError(f"{type(self).__name__}: call loss.attach(model) and train the "
                              f"model it returns, or the class weights never train")
        labels = self.checked_labels(batch.labels)
        weights = l2_normalize(tf.cast(self.proxies, tf.float32))
        cos = tf.matmul(l2_normalize(batch.embeddings), weights, transpose_b=True)
        return labels, tf.clip_by_value(cos, -1.0, 1.0)


class MarginSoftmaxLoss(ProxyBasedLoss):
    """Cross-entropy over scaled cosines with the true class's logit changed by
    ``target_logits`` and the others' by ``other_logits`` (module docstring)."""

    config_fields = ("num_classes", "embedding_dim", "scale", "margin", "seed")

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 scale: float = 64.0, margin: float = 0.35, seed: int = 0,
                 name: str = "margin_softmax_loss", **kwargs: Any):
        super().__init__(num_classes, embedding_dim, seed, name, **kwargs)
        if scale <= 0 or margin < 0:
            raise ConfigError(f"{type(self).__name__} needs scale > 0 and margin >= 0, got "
                              f"{scale} and {margin}")
        self.scale, self.margin = float(scale), float(margin)

    def target_logits(self, cos: tf.Tensor) -> tf.Tensor:
        """Logits for the cosines ``cos`` of embeddings with their own class."""
        raise NotImplementedError

    def other_logits(self, cos: tf.Tensor) -> tf.Tensor:
        """Logits for the cosines ``cos`` of embeddings with other classes."""
        return self.scale * cos

    def logits(self, labels: tf.Tensor, cos: tf.Tensor) -> tf.Tensor:
        """(B, C) float32 logits: own class by ``target_logits``, others by ``other_logits``."""
        own = tf.one_hot(labels, self.num_classes, on_value=True, off_value=False)
        return tf.where(own, self.target_logits(cos), self.other_logits(cos))

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        labels, cos = self.cosines(batch)
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, self.logits(labels, cos))


@serializable
class ArcFaceLoss(MarginSoftmaxLoss):
    """ArcFace: z_y = s cos(theta_y + m) (module docstring); s = 64, m = 0.5."""

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 scale: float = 64.0, margin: float = 0.5, seed: int = 0,
                 name: str = "arcface_loss", **kwargs: Any):
        super().__init__(num_classes, embedding_dim, scale, margin, seed, name, **kwargs)
        if self.margin >= math.pi / 2:
            raise ConfigError(f"ArcFaceLoss needs an angular margin below pi / 2, got "
                              f"{self.margin}")

    def target_logits(self, cos: tf.Tensor) -> tf.Tensor:
        m = self.margin
        sin = tf.sqrt(tf.maximum(1.0 - tf.square(cos), SIN_FLOOR))
        shifted = cos * math.cos(m) - sin * math.sin(m)  # cos(theta + m)
        linear = cos - m * math.sin(m)  # past theta + m = pi: still decreasing in theta
        return self.scale * tf.where(cos > math.cos(math.pi - m), shifted, linear)


@serializable
class CosFaceLoss(MarginSoftmaxLoss):
    """CosFace / AM-softmax: z_y = s (cos_y - m) (module docstring); s = 64, m = 0.35."""

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 scale: float = 64.0, margin: float = 0.35, seed: int = 0,
                 name: str = "cosface_loss", **kwargs: Any):
        super().__init__(num_classes, embedding_dim, scale, margin, seed, name, **kwargs)

    def target_logits(self, cos: tf.Tensor) -> tf.Tensor:
        return self.scale * (cos - self.margin)


@serializable
class CircleSoftmaxLoss(MarginSoftmaxLoss):
    """Circle softmax: self-paced weights alpha on each cosine's distance from its optimum
    (module docstring); s = 64, m = 0.35."""

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 scale: float = 64.0, margin: float = 0.35, seed: int = 0,
                 name: str = "circle_softmax_loss", **kwargs: Any):
        super().__init__(num_classes, embedding_dim, scale, margin, seed, name, **kwargs)

    def target_logits(self, cos: tf.Tensor) -> tf.Tensor:
        alpha = tf.stop_gradient(tf.nn.relu(1.0 + self.margin - cos))
        return self.scale * alpha * (cos - (1.0 - self.margin))

    def other_logits(self, cos: tf.Tensor) -> tf.Tensor:
        alpha = tf.stop_gradient(tf.nn.relu(cos + self.margin))
        return self.scale * alpha * (cos - self.margin)
