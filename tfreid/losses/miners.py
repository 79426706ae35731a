"""Miners: which pairs or triplets of a batch a loss uses (pytorch-metric-learning's design).

A miner looks at the (B, N) matrix of a ``Distance`` between queries and keys
and at the label masks, and answers either with pairs (positive and negative
masks, (B, N) each) or with triplets (a (B, N, N) mask over anchor, positive,
negative); every miner answers both ways (triplets from pairs: each mined
positive with each mined negative of the anchor; pairs from triplets: the pairs
the triplets use), so any miner fits any loss. Mining takes no gradient.

* ``BatchHardMiner`` (Hermans et al., 2017): each anchor's farthest positive
  and closest negative.
* ``SemiHardMiner`` (FaceNet; TF Addons' semantics): for each positive pair
  (a, p), the closest negative farther than p, or the farthest negative when
  there is none.
* ``MultiSimilarityMiner`` (Wang et al., 2019): a negative closer than the
  anchor's farthest positive (minus ``epsilon``), a positive farther than its
  closest negative (plus ``epsilon``).

Without a miner (``miner=None`` or ``"all"``) a loss uses every pair or triplet.
"""

from typing import Any

from tfreid.backend import keras, serializable, tf


def _one_hot_best(score: tf.Tensor, mask: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """One-hot mask of the highest ``score`` among ``mask`` along ``axis`` (none if empty)."""
    filled = tf.where(mask, score, score.dtype.min)
    depth = tf.shape(score)[axis]
    best = tf.one_hot(tf.argmax(filled, axis=axis), depth, on_value=True, off_value=False,
                      axis=axis)
    return tf.logical_and(best, tf.reduce_any(mask, axis=axis, keepdims=True))


class Miner:
    """Base of the miners: ``pairs`` and ``triplets``, each defined from the other."""

    def pairs(self, matrix: tf.Tensor, distance, positive: tf.Tensor,
              negative: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        triplets = self.triplets(matrix, distance, positive, negative)
        return tf.reduce_any(triplets, axis=2), tf.reduce_any(triplets, axis=1)

    def triplets(self, matrix: tf.Tensor, distance, positive: tf.Tensor,
                 negative: tf.Tensor) -> tf.Tensor:
        mined_positive, mined_negative = self.pairs(matrix, distance, positive, negative)
        return tf.logical_and(mined_positive[:, :, None], mined_negative[:, None, :])

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Miner":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def closeness(matrix: tf.Tensor, distance) -> tf.Tensor:
    """Larger is closer, whatever the distance: -d or s."""
    return matrix if distance.is_similarity else -matrix


@serializable
class BatchHardMiner(Miner):
    """Each anchor's farthest positive and closest negative: one triplet per anchor."""

    def pairs(self, matrix, distance, positive, negative):
        near = closeness(tf.stop_gradient(matrix), distance)
        return _one_hot_best(-near, positive), _one_hot_best(near, negative)


@serializable
class SemiHardMiner(Miner):
    """For each positive pair, the closest negative farther than the positive (else the
    farthest negative): one triplet per positive pair."""

    def triplets(self, matrix, distance, positive, negative):
        near = closeness(tf.stop_gradient(matrix), distance)
        farther = tf.logical_and(negative[:, None, :], near[:, None, :] < near[:, :, None])
        nearest_farther = _one_hot_best(tf.broadcast_to(near[:, None, :], tf.shape(farther)),
                                        farther)
        farthest = _one_hot_best(-near, negative)[:, None, :]
        chosen = tf.where(tf.reduce_any(farther, axis=2, keepdims=True), nearest_farther,
                          farthest)
        return tf.logical_and(positive[:, :, None], chosen)


@serializable
class MultiSimilarityMiner(Miner):
    """Multi-Similarity pair mining with slack ``epsilon`` (module docstring)."""

    def __init__(self, epsilon: float = 0.1):
        self.epsilon = float(epsilon)

    def pairs(self, matrix, distance, positive, negative):
        values = tf.stop_gradient(matrix)
        hardest_positive = distance.farthest(values, positive)[:, None]
        closest_negative = distance.closest(values, negative)[:, None]
        kept_negative = tf.logical_and(
            negative, distance.margin(hardest_positive, values) > -self.epsilon)
        kept_positive = tf.logical_and(
            positive, distance.margin(values, closest_negative) > -self.epsilon)
        return kept_positive, kept_negative

    def get_config(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}


def get_miner(miner: "str | Miner | dict | None") -> Miner | None:
    """A Miner from an object, a name of ``tfreid.catalog.MINERS`` or its config; None
    (every pair or triplet) for None or "all"."""
    if miner is None or miner == "all" or isinstance(miner, Miner):
        return None if miner == "all" else miner
    if isinstance(miner, dict):
        return keras.saving.deserialize_keras_object(miner)
    from tfreid.catalog import MINERS

    return MINERS.get(miner)()
