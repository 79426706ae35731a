"""``WeightedLoss``: a loss times a constant weight, per sample, before Keras's reduction (a
head's weight in a model of several outputs, as ``compile(loss_weights=...)`` would apply)."""

from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.losses.loss import Loss
from tfreid.losses.metric_loss import require_arguments


@serializable
class WeightedLoss(Loss):
    """``weight`` times ``loss`` (per sample, before the reduction): a head's loss weight, as
    ``compile(loss_weights=...)`` would apply it.

    Example::

        from tfreid.losses import TripletMarginLoss, WeightedLoss

        loss = WeightedLoss(TripletMarginLoss(margin=0.3), weight=0.5)
        half = 0.5 * TripletMarginLoss(margin=0.3)(labels, embeddings)
        assert abs(loss(labels, embeddings) - half) < 1e-6
    """

    def __init__(self, loss: keras.losses.Loss | dict | None = None, weight: float = 1.0,
                 name: str | None = None, **kwargs: Any):
        require_arguments("WeightedLoss(TripletMarginLoss(), weight=0.5) (a wrapper: pass the "
                          "loss it weighs)", loss=loss)
        super().__init__(name=name or f"weighted_{getattr(loss, 'name', 'loss')}", **kwargs)
        self.loss = keras.saving.deserialize_keras_object(loss) if isinstance(loss, dict) \
            else loss
        self.weight = float(weight)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        return self.weight * tf.cast(self.loss.call(y_true, y_pred), tf.float32)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": keras.saving.serialize_keras_object(self.loss),
                "weight": self.weight}
