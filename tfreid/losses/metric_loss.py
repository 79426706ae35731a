"""The base of tfreid's batch metric-learning losses."""

from typing import Any, ClassVar

from tfreid.backend import keras, tf
from tfreid.losses.distances import label_masks


class MetricLoss(keras.losses.Loss):
    """A loss of ``(labels (B,), embeddings (B, D))`` returning one value per anchor.

    Subclasses implement ``anchor_losses(labels, embeddings)`` -> (B,) and list
    their constructor arguments in ``config_fields``; Keras' ``reduction`` then
    averages (the default, the 1/m sum_i of the thesis' formulas), sums
    (``"sum"``) or keeps the per-anchor values (``"none"``). Embeddings are cast
    to float32, so the losses work under mixed precision.
    """

    config_fields: ClassVar[tuple[str, ...]] = ()

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels = tf.reshape(tf.convert_to_tensor(y_true), [-1])
        return self.anchor_losses(labels, tf.cast(y_pred, tf.float32))

    def anchor_losses(self, labels: tf.Tensor, embeddings: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def masks(self, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(positive, negative) (B, B) masks; the diagonal is in neither."""
        return label_masks(labels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **{f: getattr(self, f) for f in self.config_fields}}
