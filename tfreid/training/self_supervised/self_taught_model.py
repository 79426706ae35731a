"""Self-taught metric learning's student and teacher (Kim et al., CVPR 2022; thesis 003,
Algorithm 2), as a ``keras.Model`` with its own ``train_step``.

* Student: the encoder's trunk with two heads, f (the embedding the run keeps and
  exports) and g (a wider head for the teacher); teacher: a copy of trunk + g,
  initialised from the student (Algorithm 2, line 2; the code never copies).
* Each epoch the batches are rebuilt on the student's g embeddings: every image's
  K nearest neighbours (L2, itself first); a batch is Q anchors with their K
  neighbours, two augmented views each (n = 2QK rows).
* Each step: the teacher's contextualised similarity W of the rows (no gradient),
  the loss 1/2 (RC(f) + RC(g)) + KL(f, g) (``tfreid.losses.self_taught``), then the
  teacher's EMA update of all its weights, batch-norm statistics included,
  theta_t <- m theta_t + (1 - m) theta_s with the student's weights before this
  step's update (the code's order: after backward, before the optimiser step),
  then the optimiser step.

Under a ``tf.distribute`` strategy each replica embeds its share of the rows;
the teacher's and the student's embeddings of all rows are gathered, every
replica computes the whole loss and scales it by 1 / replicas, so the summed
gradients are one device's; the teacher's update runs once per device from the
cross-replica context.
"""

import numpy as np

from tfreid.backend import keras, tf
from tfreid.distribute.cross_replica import (
    cross_replica_concat,
    replicas_in_sync,
    update_in_sync,
)
from tfreid.distribute.precision import loss_gradients
from tfreid.losses.self_taught import contextual_similarity, self_taught_loss
from tfreid.training.self_supervised.neighbour_model import NeighbourBatchModel
from tfreid.training.self_supervised.neighbours import nearest_neighbours


def student_heads(encoder: keras.Model, wide_dim: int) -> tuple[keras.Model, keras.Model]:
    """(student: images -> [f, g], trunk + g): f is the encoder's own embedding head, g a new
    Dense head on the features f reads; both share the encoder's layers."""
    g = keras.layers.Dense(wide_dim, name="wide_head",
                           kernel_initializer="orthogonal")(encoder.layers[-1].input)
    return (keras.Model(encoder.input, [encoder.output, g], name=f"{encoder.name}_student"),
            keras.Model(encoder.input, g, name=f"{encoder.name}_wide"))


class SelfTaughtModel(NeighbourBatchModel):
    """STML's training (module docstring)."""

    def __init__(self, encoder: keras.Model, images: np.ndarray, wide_dim: int,
                 num_neighbours: int, queries: int, sigma: float, delta: float,
                 momentum: float, augment: str, seed: int, **kwargs):
        super().__init__(encoder, images, num_neighbours, augment, seed, **kwargs)
        self.student, self.student_g = student_heads(encoder, wide_dim)
        self.teacher = keras.models.clone_model(self.student_g)
        self.teacher.set_weights(self.student_g.get_weights())
        self.teacher.trainable = False
        self.num_neighbours, self.queries = int(num_neighbours), int(queries)
        self.sigma, self.delta, self.momentum = float(sigma), float(delta), float(momentum)

    def refresh(self, epoch: int) -> None:
        """The K nearest neighbours (L2, itself first) of every image in the student's g."""
        table, _ = nearest_neighbours(self.embed_all(self.student_g), self.num_neighbours,
                                      metric="squared_euclidean", include_self=True)
        self.table.assign(table)

    def ema_update(self) -> None:
        """theta_t <- m theta_t + (1 - m) theta_s over all weights (BN statistics too)."""
        momentum = self.momentum

        def blend(teacher, student):
            return teacher.assign(momentum * teacher + (1.0 - momentum) * student)

        update_in_sync(self.teacher.weights, self.student_g.weights, blend)

    def train_step(self, data):
        step = tf.reshape(data, [])
        indices = tf.reshape(tf.gather(self.table, self.anchors(step, self.queries)), [-1])
        images = self.replica_views(indices, step, views=2)
        rows = tf.concat([indices, indices], 0)
        same_image = tf.equal(rows[:, None], rows[None, :])
        teacher, _ = cross_replica_concat(self.teacher(images, training=False))
        similarity = contextual_similarity(teacher, same_image, 2 * self.num_neighbours,
                                           self.sigma)
        variables = self.student.trainable_weights
        with tf.GradientTape() as tape:
            f, g = self.student(images, training=True)
            (f, _), (g, _) = cross_replica_concat(f), cross_replica_concat(g)
            loss = self_taught_loss(similarity, f, g, self.delta)
            scaled = loss / replicas_in_sync()
        gradients = loss_gradients(self.optimizer, tape, scaled, variables)
        self.ema_update()
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return {"loss": scaled}  # a replica's share: Keras sums the replicas' logs
