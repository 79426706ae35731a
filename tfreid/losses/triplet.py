"""Triplet losses (Schroff et al., FaceNet, 2015; paper 000 eq. 1).

For an anchor a, a positive p (same identity) and a negative n (another one):

    L(a, p, n) = max(0, d(a, p) - d(a, n) + alpha)

with d the l2 distance ||f(x) - f(y)||_2 (paper 000, alpha = 1.0), or its square
(``squared=True``, as psorus/cf computed it). Plain l2 is the default: it is the
distance paper 000 states its margin against, and PyTorch's TripletMarginLoss
(paper 002) uses it too.
"""

from typing import Any

from tfreid.backend import keras, tf
from tfreid.losses.distances import label_masks, pair_distance, pairwise_distance_matrix

MININGS = ("all", "hard", "semihard")


class TripletLoss(keras.losses.Loss):
    """Triplet loss of explicit triplets: ``y_pred`` is (B, 3, D) = (anchor, positive, negative).

    ``y_true`` is ignored (the triplet's order carries the labels).
    """

    def __init__(self, margin: float = 1.0, squared: bool = False, name: str = "triplet_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        self.squared = bool(squared)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        anchor, positive, negative = tf.unstack(tf.convert_to_tensor(y_pred), 3, axis=1)
        d_ap = pair_distance(anchor, positive, self.squared)
        d_an = pair_distance(anchor, negative, self.squared)
        return tf.nn.relu(d_ap - d_an + self.margin)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin, "squared": self.squared}


def batch_all(d: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor, margin: float):
    """Mean of L over the triplets of the batch with L > 0 (Hermans et al., 2017, BA+)."""
    losses = tf.nn.relu(d[:, :, None] - d[:, None, :] + margin)
    valid = tf.cast(tf.logical_and(positive[:, :, None], negative[:, None, :]), d.dtype)
    losses *= valid
    active = tf.reduce_sum(tf.cast(losses > 1e-16, d.dtype))
    return tf.math.divide_no_nan(tf.reduce_sum(losses), active)


def batch_hard(d: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor, margin: float):
    """Mean over anchors of L(a, farthest positive, nearest negative) (Hermans et al.)."""
    positive_f, negative_f = tf.cast(positive, d.dtype), tf.cast(negative, d.dtype)
    hardest_positive = tf.reduce_max(d * positive_f, axis=1)
    far = tf.reduce_max(d) + 1.0
    hardest_negative = tf.reduce_min(d + far * (1.0 - negative_f), axis=1)
    usable = tf.cast(tf.logical_and(tf.reduce_any(positive, 1), tf.reduce_any(negative, 1)),
                     d.dtype)
    losses = tf.nn.relu(hardest_positive - hardest_negative + margin) * usable
    return tf.math.divide_no_nan(tf.reduce_sum(losses), tf.reduce_sum(usable))


def batch_semihard(d: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor, margin: float):
    """Mean over positive pairs (a, p) of L(a, p, n*) (FaceNet; as TF Addons' semihard loss).

    n* is the nearest negative farther than p (d(a, n) > d(a, p)); when there is
    none, the farthest negative.
    """
    d_ap, d_an = d[:, :, None], d[:, None, :]
    farther = tf.logical_and(negative[:, None, :], d_an > d_ap)  # (a, p, n)
    big = tf.reduce_max(d) + 1.0
    nearest_farther = tf.reduce_min(tf.where(farther, d_an, big), axis=2)
    farthest = tf.reduce_max(tf.where(negative, d, 0.0), axis=1)[:, None]
    chosen = tf.where(tf.reduce_any(farther, axis=2), nearest_farther, farthest)
    usable = tf.logical_and(positive, tf.reduce_any(negative, axis=1)[:, None])
    losses = tf.nn.relu(d - chosen + margin) * tf.cast(usable, d.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(losses), tf.reduce_sum(tf.cast(usable, d.dtype)))


class TripletMiningLoss(keras.losses.Loss):
    """Triplet loss with online mining over a batch: ``(labels, embeddings (B, D))``.

    ``mining``: ``"all"`` (batch-all), ``"hard"`` (batch-hard) or ``"semihard"``;
    see ``batch_all``, ``batch_hard``, ``batch_semihard``. Batches should hold
    several images per identity (P x K sampling, ``tfreid.data.triplets``).
    """

    def __init__(self, mining: str = "semihard", margin: float = 1.0, squared: bool = False,
                 name: str = "triplet_mining_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        if mining not in MININGS:
            raise ValueError(f"unknown mining {mining!r}; choose from {', '.join(MININGS)}")
        self.mining = mining
        self.margin = float(margin)
        self.squared = bool(squared)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        d = pairwise_distance_matrix(y_pred, self.squared)
        positive, negative = label_masks(y_true)
        reduce = {"all": batch_all, "hard": batch_hard, "semihard": batch_semihard}[self.mining]
        return reduce(d, positive, negative, self.margin)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mining": self.mining, "margin": self.margin,
                "squared": self.squared}
