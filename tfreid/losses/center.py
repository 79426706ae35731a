"""Center loss (Wen et al., "A Discriminative Feature Learning Approach for Deep Face
Recognition", ECCV 2016), as the bag-of-tricks baseline uses it (Luo et al., CVPRW 2019,
section 3.7; its code, michuanhaohao/reid-strong-baseline ``layers/center_loss.py``).

With one center c_j (D,) per class and x_i (D,) an embedding with label y_i, each sample's
loss is

    l(x_i) = ||x_i - c_{y_i}||^2

and Keras' default reduction averages it over the batch (the global batch under
``tf.distribute``): L = 1/B sum_i ||x_i - c_{y_i}||^2, BoT's code's ``dist.sum() /
batch_size`` (its clamp to [1e-12, 1e12] aside). The papers write 1/2 sum_i (Wen eq. 2, BoT
eq. 6); BoT's published weight 0.0005 goes with its code's mean, so that is the loss here.

The centers have their own learning rate (BoT: plain SGD at 0.5, the center loss's weight
divided out of their gradient). They are not trained by the model's optimiser (which under
Adam would rescale any gradient, so a scaled gradient could not set their rate): each
training step moves them by SGD on the unweighted loss,

    c_j <- c_j - center_lr * dL/dc_j = c_j - center_lr * 2/B sum_{i: y_i = j} (c_j - x_i)

with x held fixed, computed from the centers the step's loss used. Under ``tf.distribute``
each replica computes its rows' step and the centers (a MEAN-aggregated variable) take the
mean over the replicas: the step of the global batch when replicas hold equal batches. Only
training steps move them (``CenterTrainer``: evaluation sees the loss, never an update).

Like the identity classifier, the centers are a state layer: ``attach(model)`` returns the
model (a ``CenterTrainer``) that checkpoints, saves and resumes them; the encoder alone is
exported. Centers start from N(0, 1) (BoT's ``torch.randn``), seeded.

Example::

    from tfreid.losses import CenterLoss

    loss = CenterLoss(num_classes=4, embedding_dim=16, center_lr=0.5)
    model = loss.attach(encoder)          # attach it last, after the other stateful losses
    model.compile("adam", loss=loss, loss_weights=0.0005)
    model.fit(images, labels, epochs=1, verbose=0)
"""

from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.class_vectors import ClassVectors
from tfreid.losses.identity import checked_labels
from tfreid.losses.loss import Loss
from tfreid.losses.metric_loss import require_arguments
from tfreid.nn.embedding_trainer import EmbeddingTrainer, attach_state, stateful_losses


@serializable
class Centers(ClassVectors):
    """One (not gradient-trained) center per class: a (num_classes, embedding_dim) weight
    from N(0, 1) seeded by ``seed``, averaged over replicas when written."""

    attribute, weight_name, what = "centers", "centers", "center loss"
    trained, aggregation = False, tf.VariableAggregation.MEAN


@serializable
class CenterLoss(Loss):
    """Center loss with its centers moved by their own SGD step (module docstring)."""

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None,
                 center_lr: float = 0.5, seed: int = 0, name: str = "center_loss",
                 **kwargs: Any):
        require_arguments("CenterLoss(num_classes=..., embedding_dim=...)",
                          num_classes=num_classes, embedding_dim=embedding_dim)
        super().__init__(name=name, **kwargs)
        if not float(center_lr) >= 0.0:
            raise ConfigError(f"center_lr must be >= 0, got {center_lr}")
        self.num_classes, self.embedding_dim = int(num_classes), int(embedding_dim)
        self.center_lr, self.seed = float(center_lr), int(seed)
        self.layer = Centers(self.num_classes, self.embedding_dim, self.seed, name="centers")
        self.attached = False
        self.updating = False  # set while a training step is traced (CenterTrainer)

    @property
    def centers(self) -> tf.Variable:
        """The (num_classes, embedding_dim) centers."""
        return self.layer.centers

    def attach(self, model: keras.Model) -> "CenterTrainer":
        """The model to train: a ``CenterTrainer`` of ``model`` with the centers tracked (one
        that already holds ``Centers`` lends them). Attach other stateful losses first."""
        trainer, self.layer = attach_state(model, self.layer)
        shape = tuple(self.layer.centers.shape)
        if shape != (self.num_classes, self.embedding_dim):
            raise ConfigError(f"the model's centers are {shape}, CenterLoss wants "
                              f"({self.num_classes}, {self.embedding_dim})")
        if not isinstance(trainer, CenterTrainer):
            trainer = CenterTrainer(trainer.encoder, trainer.state_layers, name=trainer.name)
        self.attached = True
        return trainer

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        if not self.attached:
            raise ConfigError("CenterLoss: call loss.attach(model) and train the model it "
                              "returns, or the centers never move")
        labels = checked_labels(y_true, self.num_classes, "CenterLoss")
        x = tf.cast(y_pred, tf.float32)
        centers = tf.gather(tf.convert_to_tensor(self.centers), labels)
        losses = tf.reduce_sum(tf.square(x - centers), axis=-1)
        if not self.updating:
            return losses
        with tf.control_dependencies([losses]):
            update = self.centers.assign_sub(self.center_step(labels, x, centers))
        with tf.control_dependencies([update]):
            return tf.identity(losses)

    def center_step(self, labels: tf.Tensor, x: tf.Tensor, centers: tf.Tensor) -> tf.Tensor:
        """center_lr * dL/dc (C, D) of this batch, x held fixed (module docstring)."""
        rows = tf.cast(tf.shape(x)[0], tf.float32)
        gradient = tf.math.unsorted_segment_sum(centers - tf.stop_gradient(x), labels,
                                                self.num_classes)
        return self.center_lr * 2.0 / rows * gradient

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes,
                "embedding_dim": self.embedding_dim, "center_lr": self.center_lr,
                "seed": self.seed}


@serializable
class CenterTrainer(EmbeddingTrainer):
    """An ``EmbeddingTrainer`` whose training steps (not evaluation) move the centers of its
    center losses: ``train_step`` is traced with their ``updating`` set."""

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        losses = [loss for loss in stateful_losses(getattr(self, "loss", None))
                  if isinstance(loss, CenterLoss)]
        for loss in losses:
            loss.updating = True
        try:
            return super().train_step(data)
        finally:
            for loss in losses:
                loss.updating = False

    def with_state(self, layer: keras.layers.Layer) -> "CenterTrainer":
        return CenterTrainer(self.encoder, [*self.state_layers, layer], name=self.name)
