"""The base of tfreid's batch metric-learning losses: queries against keys, one value per query.

A loss of ``(labels (B,), embeddings (B, D))`` sees a ``Batch``: the B rows as
queries (anchors), and keys to compare them with: the same rows by default,
also the rows of other replicas (``tf.distribute``, issue 12) or of earlier
batches (``CrossBatchMemory``). Label masks come from the batch: a positive is
a key of the query's label other than the query itself, a negative a key of
another label; keys marked invalid (empty memory slots) are neither.

Subclasses implement ``anchor_losses(batch) -> (B,)``; Keras' ``reduction``
then averages (the default: the 1/m sum_i of the thesis' formulas), sums
(``"sum"``) or keeps the per-anchor values (``"none"``), and ``sample_weight``
weighs anchors. ``distance`` (a ``Distance``) says how rows compare; ``miner``
(a ``Miner``) which pairs or triplets count. Embeddings are cast to float32, so
the losses work under mixed precision.
"""

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from tfreid.backend import keras, tf
from tfreid.losses.distances import Distance, get_distance
from tfreid.losses.miners import Miner, get_miner


@dataclass(frozen=True)
class Batch:
    """Queries (B, D) with labels (B,), keys (N, D) with labels (N,), and where each query
    sits among the keys (``self_index``, -1 if it is not a key)."""

    labels: tf.Tensor
    embeddings: tf.Tensor
    key_labels: tf.Tensor
    keys: tf.Tensor
    self_index: tf.Tensor
    key_valid: tf.Tensor | None = None

    @classmethod
    def of(cls, labels: tf.Tensor, embeddings: tf.Tensor) -> "Batch":
        """The rows of one batch, each a query and a key."""
        return cls(labels, embeddings, labels, embeddings,
                   tf.range(tf.shape(labels)[0], dtype=tf.int32))

    def with_extra_keys(self, labels: tf.Tensor, keys: tf.Tensor,
                        valid: tf.Tensor | None = None) -> "Batch":
        """This batch with more keys after its own (memory rows, say; ``valid`` marks
        the ones to use)."""
        own_valid = self.key_valid if self.key_valid is not None else tf.ones_like(
            self.key_labels, tf.bool)
        extra_valid = valid if valid is not None else tf.ones_like(labels, tf.bool)
        return replace(self, key_labels=tf.concat([self.key_labels, tf.cast(
            labels, self.key_labels.dtype)], 0), keys=tf.concat([self.keys, keys], 0),
                       key_valid=tf.concat([own_valid, extra_valid], 0))

    def masks(self) -> tuple[tf.Tensor, tf.Tensor]:
        """(positive, negative) (B, N) boolean masks (module docstring)."""
        same = tf.equal(self.labels[:, None], tf.cast(self.key_labels, self.labels.dtype)[None])
        columns = tf.range(tf.shape(self.key_labels)[0], dtype=tf.int32)
        not_self = tf.not_equal(self.self_index[:, None], columns[None, :])
        positive = tf.logical_and(same, not_self)
        negative = tf.logical_not(same)
        if self.key_valid is not None:
            positive = tf.logical_and(positive, self.key_valid[None, :])
            negative = tf.logical_and(negative, self.key_valid[None, :])
        return positive, negative


class MetricLoss(keras.losses.Loss):
    """A loss of ``(labels (B,), embeddings (B, D))`` returning one value per anchor.

    Subclasses list their own constructor arguments in ``config_fields`` and set
    ``default_distance``; ``distance`` and ``miner`` are common to all.
    """

    config_fields: ClassVar[tuple[str, ...]] = ()
    default_distance: ClassVar[str] = "l2"

    def __init__(self, distance: Distance | str | None = None, miner: Miner | str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.distance = get_distance(distance, self.default_distance)
        self.miner = get_miner(miner)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels = tf.reshape(tf.convert_to_tensor(y_true), [-1])
        return self.anchor_losses(Batch.of(labels, tf.cast(y_pred, tf.float32)))

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        """(B,) losses of the batch's queries against its keys."""
        raise NotImplementedError

    def mined_pairs(self, batch: Batch, matrix: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(positive, negative) pairs to use: all of the batch's, or the miner's choice."""
        positive, negative = batch.masks()
        if self.miner is None:
            return positive, negative
        return self.miner.pairs(matrix, self.distance, positive, negative)

    def mined_triplets(self, batch: Batch, matrix: tf.Tensor) -> tf.Tensor:
        """(B, N, N) mask of (anchor, positive, negative) triplets to use."""
        positive, negative = batch.masks()
        if self.miner is None:
            return tf.logical_and(positive[:, :, None], negative[:, None, :])
        return self.miner.triplets(matrix, self.distance, positive, negative)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), **{f: getattr(self, f) for f in self.config_fields}}
        config["distance"] = keras.saving.serialize_keras_object(self.distance)
        config["miner"] = None if self.miner is None else \
            keras.saving.serialize_keras_object(self.miner)
        return config
