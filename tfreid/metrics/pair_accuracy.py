"""Pair accuracy as a Keras metric: is a pair judged same / different correctly?"""

from typing import Any

from tfreid.backend import keras, tf


class DistancePairAccuracy(keras.metrics.MeanMetricWrapper):
    """Share of pairs with (d < threshold) == (y == 1), d the pair distance.

    With the contrastive loss of margin m, ``threshold`` = m / 2 splits the gap
    between pulled-together and pushed-apart pairs.
    """

    def __init__(self, threshold: float = 0.5, name: str = "pair_accuracy", **kwargs: Any):
        super().__init__(self._matches, name=name, threshold=threshold, **kwargs)
        self.threshold = float(threshold)

    @staticmethod
    def _matches(y_true: tf.Tensor, y_pred: tf.Tensor, threshold: float) -> tf.Tensor:
        predicted_same = tf.cast(y_pred < threshold, tf.float32)
        same = tf.reshape(tf.cast(y_true, tf.float32), tf.shape(predicted_same))
        return tf.cast(tf.equal(predicted_same, same), tf.float32)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}
