"""Identity loss: softmax cross-entropy over a bias-free linear classifier of the training
identities, with label smoothing (Luo et al., "Bag of Tricks and A Strong Baseline for Deep
Person Re-identification", CVPRW 2019, section 3.6 and eq. 3; Szegedy et al., "Rethinking
the Inception Architecture", CVPR 2016, for the smoothing).

With W (C, D) the classifier (no bias, not normalised: BoT's ``nn.Linear(D, C,
bias=False)``), x (D,) an embedding with label y, logits z = W x and p = softmax(z):

    L(x) = -sum_j q_j log p_j,   q_y = 1 - eps + eps / C,   q_j = eps / C (j != y)

eps = 0.1 by default (BoT); eps = 0 is the plain cross-entropy -log p_y. The classifier
starts from N(0, 0.001^2) (BoT's ``weights_init_classifier``), seeded. The logits and the
cross-entropy are computed in float32, so the loss is safe under mixed precision.

Like the margin softmaxes' class weights, the classifier is a state layer: ``attach(model)``
before training returns the model (an ``EmbeddingTrainer``) that trains, checkpoints, saves
and resumes it, while the encoder alone is evaluated and exported. The loss of an embedding
depends on it and the classifier only, so under ``tf.distribute`` each replica computes its
own rows' losses (``uses_keys = False``, never gathered) and Keras' reduction (the sum over a
replica's rows divided by the global batch size, summed over the replicas) gives the mean
over the global batch: the softmax of every row is over all C classes, whichever replica
holds it. Labels must lie in [0, num_classes).

Example::

    from tfreid.losses import IdentityLoss

    loss = IdentityLoss(num_classes=4, embedding_dim=16)
    model = loss.attach(encoder)          # the classifier trains and saves with the model
    model.compile("adam", loss=loss)      # then model.fit(images, labels, ...)
    assert loss(labels, model(images)).shape == ()  # labels: class indices in [0, 4)
"""

from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.class_vectors import ClassVectors
from tfreid.losses.metric_loss import Batch, MetricLoss, require_arguments
from tfreid.nn.distances import DotProductSimilarity

CLASSIFIER_STD = 0.001  # BoT's weights_init_classifier: normal with this std, no bias


@serializable
class IdentityClassifier(ClassVectors):
    """A bias-free linear classifier's (num_classes, embedding_dim) ``kernel``, drawn from
    N(0, ``std``^2) seeded by ``seed``; the layer passes its input through."""

    attribute, weight_name, what = "kernel", "classifier", "an identity classifier"
    default_std = CLASSIFIER_STD


@serializable
class IdentityLoss(MetricLoss):
    """Label-smoothed softmax cross-entropy over a bias-free linear classifier (module
    docstring). ``attach(model)`` before training; training without it is an error."""

    config_fields = ("num_classes", "embedding_dim", "label_smoothing", "seed")
    default_distance = "dot"
    uses_keys = False

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 label_smoothing: float = 0.1, seed: int = 0, name: str = "identity_loss",
                 **kwargs: Any):
        require_arguments("IdentityLoss(num_classes=..., embedding_dim=...)",
                          num_classes=num_classes, embedding_dim=embedding_dim)
        super().__init__(name=name, **kwargs)
        if self.miner is not None:
            raise ConfigError("IdentityLoss compares each embedding with every class: it "
                              "takes no miner")
        if not isinstance(self.distance, DotProductSimilarity):
            raise ConfigError(f"IdentityLoss's logits are dot products, not "
                              f"{type(self.distance).__name__}")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ConfigError(f"label_smoothing must lie in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        self.layer = IdentityClassifier(num_classes, embedding_dim, seed, name="classifier")
        self.num_classes, self.embedding_dim = int(num_classes), int(embedding_dim)
        self.seed = int(seed)
        self.attached = False

    @property
    def classifier(self) -> tf.Variable:
        """The (num_classes, embedding_dim) classifier weights W."""
        return self.layer.kernel

    def attach(self, model: keras.Model) -> keras.Model:
        """The model to train: ``model`` with the classifier tracked (an ``EmbeddingTrainer``;
        one that already holds an ``IdentityClassifier`` lends it)."""
        from tfreid.nn.embedding_trainer import attach_state

        trainer, self.layer = attach_state(model, self.layer)
        shape = tuple(self.layer.kernel.shape)
        if shape != (self.num_classes, self.embedding_dim):
            raise ConfigError(f"the model's classifier is {shape}, IdentityLoss wants "
                              f"({self.num_classes}, {self.embedding_dim})")
        self.attached = True
        return trainer

    def logits(self, embeddings: tf.Tensor) -> tf.Tensor:
        """(B, C) float32 logits x W^T."""
        return tf.matmul(tf.cast(embeddings, tf.float32), tf.cast(self.classifier, tf.float32),
                         transpose_b=True)

    def targets(self, labels: tf.Tensor) -> tf.Tensor:
        """(B, C) smoothed targets q (module docstring)."""
        eps, classes = self.label_smoothing, self.num_classes
        return tf.one_hot(labels, classes, on_value=1.0 - eps + eps / classes,
                          off_value=eps / classes, dtype=tf.float32)

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        if not self.attached:
            raise ConfigError("IdentityLoss: call loss.attach(model) and train the model it "
                              "returns, or the classifier never trains")
        labels = checked_labels(batch.labels, self.num_classes, "IdentityLoss")
        return tf.nn.softmax_cross_entropy_with_logits(self.targets(labels),
                                                       self.logits(batch.embeddings))


def checked_labels(labels: tf.Tensor, num_classes: int, owner: str) -> tf.Tensor:
    """``labels`` as int32, checked to lie in [0, num_classes): a ConfigError when known,
    an assertion (InvalidArgumentError where asserts run) when traced."""
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    known = tf.get_static_value(labels)
    bounds = f"{owner}: labels must lie in [0, {num_classes})"
    if known is not None:
        if known.size and (known.min() < 0 or known.max() >= num_classes):
            raise ConfigError(f"{bounds}, got {known.min()} to {known.max()}")
        return labels
    checks = [tf.debugging.assert_non_negative(labels, bounds),
              tf.debugging.assert_less(labels, num_classes, bounds)]
    with tf.control_dependencies(checks):
        return tf.identity(labels)
