"""Apply one loss to each member's slice of an ensemble's embedding, and sum."""

from typing import Any

from tfreid.backend import keras, tf


class PerMemberLoss(keras.losses.Loss):
    """L = sum_m loss(y_true, y_pred[..., slice_m]) over ensemble members m.

    Each member's slice of the concatenated embedding gets its own loss, so a
    member's weights receive gradient from its own slice only: training the
    members side by side in one step is the same as training them one after the
    other (paper 000, section VI, ensembles of independent submodels).
    """

    def __init__(self, loss: keras.losses.Loss, member_dims: list[int],
                 name: str = "per_member_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.loss = loss
        self.member_dims = [int(d) for d in member_dims]

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        slices = tf.split(y_pred, self.member_dims, axis=-1)
        return tf.add_n([self.loss(y_true, member) for member in slices])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": keras.losses.serialize(self.loss),
                "member_dims": self.member_dims}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "PerMemberLoss":
        config = dict(config)
        config["loss"] = keras.losses.deserialize(config["loss"], custom_objects=_custom())
        return cls(**config)


def _custom() -> dict[str, type]:
    from tfreid import losses

    return {name: getattr(losses, name) for name in losses.__all__}
