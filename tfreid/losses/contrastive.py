"""Contrastive loss of Hadsell, Chopra and LeCun (CVPR 2006), as in paper 004 eq. 1.1."""

from typing import Any

from tfreid.backend import keras, tf


class ContrastiveLoss(keras.losses.Loss):
    """L = y * d^2 + (1 - y) * max(m - d, 0)^2 for a pair at distance d.

    ``y_true`` is 1 for a same-identity pair and 0 otherwise; ``y_pred`` is the
    pair's Euclidean distance d (the ``distance`` output of ``build_siamese``,
    whose square root is floored so the gradient is finite at d = 0). Same pairs
    are pulled together; different pairs are pushed apart until they are at
    least ``margin`` apart (m = 1.0 in paper 004).
    """

    def __init__(self, margin: float = 1.0, name: str = "contrastive_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        distance = tf.convert_to_tensor(y_pred)
        same = tf.reshape(tf.cast(y_true, distance.dtype), tf.shape(distance))
        pull = same * tf.square(distance)
        push = (1.0 - same) * tf.square(tf.maximum(self.margin - distance, 0.0))
        return pull + push

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}
