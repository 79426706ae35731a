"""InsCLR's training (Deng et al., 2022; thesis 003, section 3.2) as a ``keras.Model`` with
its own ``train_step``, following the authors' code (zeludeng/insclr).

Training runs in cycles (``epochs_per_cycle`` epochs each). At the start of a
cycle the candidate pool of every image is rebuilt from the current model
(``candidate_pool``). A batch is A random anchors, each with its k nearest pool
members, a tuple sharing a pseudo-label (the tuple's number); one augmented
view each. The loss of a row is InsCLR's contrastive loss within the batch
(``ThresholdedContrastiveLoss``, lambda = 0.4) plus the memory loss against a
memory bank holding every image's last embedding (rows overwritten by index,
without gradient or momentum):

* cycles 1-3: the memory's rows, except the row's own image and its image's
  top-``exclusion`` (50) pool members, are negatives, from ``memory_from`` of the
  training on (the code: step 4k of 60k);
* the last cycle (of 4 or more; the hard-negative cycle): the memory is filled
  in one pass with the unaugmented features, a batch neighbour stays positive
  only if its cosine to the anchor is >= ``threshold`` (0.6), and against the
  memory a row's positives are its image's band-mined pool members and its
  negatives the pool members below ``low`` (``band_masks``).

The loss is the mean over the batch's rows of both terms (the code's sum / n).
Under a ``tf.distribute`` strategy each replica embeds its share of the rows,
compares them with every replica's rows (``cross_replica``) and scales its mean by
1 / replicas; the memory takes the gathered rows, once per device.
"""

import numpy as np

from tfreid.backend import tf
from tfreid.distribute.cross_replica import (
    cross_replica_concat,
    replica_rows,
    replicas_in_sync,
    update_in_sync,
)
from tfreid.distribute.precision import loss_gradients
from tfreid.losses.cosine_pairs import ThresholdedContrastiveLoss
from tfreid.losses.distances import l2_normalize
from tfreid.training.self_supervised.candidate_pool import (
    SCALES,
    band_masks,
    candidate_pool,
    normalise,
)
from tfreid.training.self_supervised.neighbour_model import NeighbourBatchModel


class InstanceContrastModel(NeighbourBatchModel):
    """InsCLR (module docstring). ``settings`` holds pool_size, neighbours, anchors, margin,
    cycles, epochs_per_cycle, positive_threshold, high, low, threshold, passes, top,
    exclusion, memory_from_step."""

    def __init__(self, encoder, images: np.ndarray, settings: dict, augment: str, seed: int,
                 **kwargs):
        super().__init__(encoder, images, settings["pool_size"], augment, seed, **kwargs)
        self.settings = dict(settings)
        count, dim = len(images), int(encoder.output_shape[-1])
        k, pool = settings["neighbours"], settings["pool_size"]
        self.memory = tf.Variable(np.zeros((count, dim), np.float32), trainable=False)
        self.written = tf.Variable(np.zeros(count, bool), trainable=False)
        self.neighbour_positive = tf.Variable(np.ones((count, k), bool), trainable=False)
        self.pool_positive = tf.Variable(np.zeros((count, pool), bool), trainable=False)
        self.pool_negative = tf.Variable(np.zeros((count, pool), bool), trainable=False)
        self.mining = tf.Variable(False, trainable=False)
        self.loss_fn = ThresholdedContrastiveLoss(settings["margin"], reduction="none")

    def multi_scale_features(self) -> np.ndarray:
        """Features averaged over scales {1, 1/sqrt 2, 1/2} (down, then back to the input
        size), each L2-normalised, and normalised again."""
        size = tuple(self.images.shape[1:3])
        per_scale = [[] for _ in SCALES]
        for batch in self.image_batches(256):
            for features, scale in zip(per_scale, SCALES, strict=True):
                small = tf.image.resize(batch, [max(1, round(size[0] * scale)),
                                                max(1, round(size[1] * scale))])
                scaled = tf.cast(tf.round(tf.image.resize(small, size)), tf.uint8)
                features.append(np.asarray(self.encoder(scaled, training=False), np.float32))
        return normalise(sum(normalise(np.concatenate(features)) for features in per_scale))

    def refresh(self, epoch: int) -> None:
        """At a cycle's first epoch: a new candidate pool; in the last (mining) cycle also the
        memory, the neighbour test and the band-mined pool masks."""
        s = self.settings
        cycle = epoch // s["epochs_per_cycle"]
        if epoch % s["epochs_per_cycle"] or cycle >= s["cycles"]:
            return
        features = self.multi_scale_features()
        pool = candidate_pool(features, s["pool_size"])
        self.table.assign(pool)
        mining = s["cycles"] >= 4 and cycle == s["cycles"] - 1
        self.mining.assign(mining)
        neighbours = pool[:, :s["neighbours"]]
        if mining:
            plain = normalise(self.embed_all(self.encoder))
            self.memory.assign(plain)
            self.written.assign(np.ones(self.count, bool))
            cosine = np.einsum("nd,nkd->nk", plain, plain[neighbours])
            self.neighbour_positive.assign(cosine >= s["threshold"])
            positive, negative = band_masks(plain, pool, s["high"], s["low"], s["threshold"],
                                            s["passes"], s["top"])
            self.pool_positive.assign(positive)
            self.pool_negative.assign(negative)
        elif s["positive_threshold"] is not None:  # the thesis' T_h1 (0.95)
            cosine = np.einsum("nd,nkd->nk", features, features[neighbours])
            self.neighbour_positive.assign(cosine >= s["positive_threshold"])

    def batch_rows(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(image indices, pseudo-labels) of a batch: anchors and their pool neighbours; a
        neighbour that fails the positive test gets a label of its own."""
        anchors = self.anchors(step, self.settings["anchors"])
        k = self.settings["neighbours"]
        neighbours = tf.gather(self.table, anchors)[:, :k]
        indices = tf.reshape(tf.concat([anchors[:, None], neighbours], 1), [-1])
        accepted = tf.concat([tf.ones_like(anchors[:, None], tf.bool),
                              tf.gather(self.neighbour_positive, anchors)], 1)
        rows = tf.size(indices, out_type=tf.int64)
        tuples = tf.repeat(tf.range(tf.size(anchors, out_type=tf.int64)), k + 1)
        labels = tf.where(tf.reshape(accepted, [-1]), tuples,
                          rows + tf.range(rows, dtype=tf.int64))
        return indices, labels

    def memory_losses(self, z: tf.Tensor, indices: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        """Each row's memory loss (module docstring)."""
        s = self.settings
        similarity = tf.matmul(z, tf.stop_gradient(self.memory), transpose_b=True)
        pool = tf.gather(self.table, indices)
        pooled = tf.gather(similarity, pool, batch_dims=1)
        mined = tf.reduce_sum(tf.where(tf.gather(self.pool_positive, indices), 1.0 - pooled, 0.0)
                              + tf.where(tf.logical_and(tf.gather(self.pool_negative, indices),
                                                        pooled > s["margin"]), pooled, 0.0), 1)
        near = tf.one_hot(tf.concat([indices[:, None], pool[:, :s["exclusion"]]], 1),
                          self.count, on_value=True, off_value=False)
        negative = tf.logical_and(self.written[None, :],
                                  tf.logical_not(tf.reduce_any(near, axis=1)))
        pushed = tf.reduce_sum(tf.where(tf.logical_and(negative, similarity > s["margin"]),
                                        similarity, 0.0), 1)
        active = tf.cast(tf.reshape(step, []) >= s["memory_from_step"], tf.float32)
        return tf.where(self.mining, mined, active * pushed)

    def train_step(self, data):
        step = tf.reshape(data, [])
        indices, labels = self.batch_rows(step)
        start, count = replica_rows(int(indices.shape[0]))
        indices, labels = indices[start:start + count], labels[start:start + count]
        images = self.view_images(indices, step, tf.zeros_like(indices),
                                  start + tf.range(count, dtype=tf.int64))
        with tf.GradientTape() as tape:
            z = l2_normalize(tf.cast(self.encoder(images, training=True), tf.float32))
            batch = self.loss_fn.batch_of(labels, z)
            loss = tf.reduce_mean(self.loss_fn.anchor_losses(batch)
                                  + self.memory_losses(z, indices, step)) / replicas_in_sync()
        weights = self.encoder.trainable_weights
        gradients = loss_gradients(self.optimizer, tape, loss, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        self.remember(cross_replica_concat(indices)[0], tf.stop_gradient(batch.keys))
        return {"loss": loss}  # a replica's share: Keras sums the replicas' logs

    def remember(self, indices: tf.Tensor, z: tf.Tensor) -> None:
        """Overwrite the memory rows of ``indices`` with ``z`` (on every device alike)."""
        slots = indices[:, None]
        memory = tf.tensor_scatter_nd_update(self.memory, slots, z)
        written = tf.tensor_scatter_nd_update(self.written, slots,
                                              tf.ones_like(indices, tf.bool))
        update_in_sync([self.memory, self.written], [memory, written],
                       lambda variable, value: variable.assign(value))
