"""The base of tfreid's batch metric-learning losses: queries against keys, one value per query.

A loss of ``(labels (B,), embeddings (B, D))`` sees a ``Batch``: the B rows as
queries (anchors), and keys to compare them with: the same rows by default,
also the rows of every other replica under a ``tf.distribute`` strategy
(``cross_replica``, on by default: mining and the loss then see the global batch,
each replica computing its own anchors' losses, which gives the single-device
gradient of the global batch) or of earlier batches (``CrossBatchMemory``).
Label masks come from the batch: a positive is a key of the query's label other
than the query itself, a negative a key of another label; keys marked invalid
(empty memory slots) are neither.

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
from tfreid.distribute.cross_replica import cross_replica_concat
from tfreid.errors import MissingArgumentsError
from tfreid.losses.loss import Loss
from tfreid.losses.miners import Miner, get_miner
from tfreid.nn.distances import Distance, get_distance


def require_arguments(usage: str, **values: Any) -> None:
    """MissingArgumentsError (one line, showing ``usage``) if any of ``values`` is None: for
    the losses that cannot be built from their name alone (``keras.losses.get``)."""
    missing = [name for name, value in values.items() if value is None]
    if missing:
        owner = usage.split("(")[0]
        raise MissingArgumentsError(f"{owner} needs {' and '.join(missing)}, which have no "
                                    f"default, so Keras cannot build it from its name alone "
                                    f"(keras.losses.get, compile(loss=...)): build it as "
                                    f"{usage}")


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

    def across_replicas(self) -> "Batch":
        """This replica's rows as queries, the rows of all replicas as keys (the same batch
        outside a strategy or with one replica)."""
        keys, offset = cross_replica_concat(self.keys)
        key_labels, _ = cross_replica_concat(self.key_labels)
        rows = tf.range(tf.shape(self.labels)[0], dtype=tf.int32)
        return replace(self, keys=keys, key_labels=key_labels, self_index=offset + rows)

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


class MetricLoss(Loss):
    """A loss of ``(labels (B,), embeddings (B, D))`` returning one value per anchor.

    Subclasses list their own constructor arguments in ``config_fields`` and set
    ``default_distance``; ``distance``, ``miner`` and ``cross_replica`` (compare
    with the rows of every replica; module docstring) are common to all. A loss
    that compares queries with something else than the batch (ProxyNCA's proxies)
    sets ``uses_keys = False`` and is never gathered.
    """

    config_fields: ClassVar[tuple[str, ...]] = ()
    default_distance: ClassVar[str] = "euclidean"
    uses_keys: ClassVar[bool] = True

    def __init__(self, distance: Distance | str | None = None, miner: Miner | str | None = None,
                 cross_replica: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.distance = get_distance(distance, self.default_distance)
        self.miner = get_miner(miner)
        self.cross_replica = bool(cross_replica)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels = tf.reshape(tf.convert_to_tensor(y_true), [-1])
        return self.anchor_losses(self.batch_of(labels, tf.cast(y_pred, tf.float32)))

    def batch_of(self, labels: tf.Tensor, embeddings: tf.Tensor) -> Batch:
        """The batch the loss sees: gathered across replicas if ``cross_replica``."""
        batch = Batch.of(labels, embeddings)
        return batch.across_replicas() if self.cross_replica and self.uses_keys else batch

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
        config = {**super().get_config(), **{f: getattr(self, f) for f in self.config_fields},
                  "cross_replica": self.cross_replica}
        config["distance"] = keras.saving.serialize_keras_object(self.distance)
        config["miner"] = None if self.miner is None else \
            keras.saving.serialize_keras_object(self.miner)
        return config


def set_cross_replica(loss: keras.losses.Loss, enabled: bool) -> None:
    """Turn gathering across replicas on or off in ``loss`` and the losses it wraps."""
    while loss is not None:
        if isinstance(loss, MetricLoss):
            loss.cross_replica = bool(enabled)
        loss = getattr(loss, "loss", None)
