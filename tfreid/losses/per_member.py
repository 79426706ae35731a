"""Apply one loss to each member's slice of an ensemble's embedding, and sum."""

from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.losses.loss import Loss
from tfreid.losses.metric_loss import require_arguments


@serializable
class PerMemberLoss(Loss):
    """L = sum_m loss(y_true, y_pred[..., slice_m]) over ensemble members m.

    Each member's slice of the concatenated embedding gets its own loss, so a
    member's weights receive gradient from its own slice only: training the
    members side by side in one step is the same as training them one after the
    other (paper 000, section VI, ensembles of independent submodels).

    Example::

        from tfreid.losses import PerMemberLoss, TripletMarginLoss

        loss = PerMemberLoss(TripletMarginLoss(), member_dims=[8, 8])  # two members of 8 dims
        assert loss(labels, embeddings).shape == ()  # embeddings (B, 16): the members side by side
    """

    def __init__(self, loss: keras.losses.Loss | dict | None = None,
                 member_dims: list[int] | None = None, name: str = "per_member_loss",
                 **kwargs: Any):
        # a wrapper: the loss it wraps has no default (one line, not a bare TypeError)
        require_arguments("PerMemberLoss(TripletMarginLoss(), member_dims=[...]) (a wrapper: "
                          "pass the loss it applies to each member)",
                          loss=loss, member_dims=member_dims)
        super().__init__(name=name, **kwargs)
        self.loss = keras.saving.deserialize_keras_object(loss) if isinstance(loss, dict) \
            else loss
        self.member_dims = [int(d) for d in member_dims]

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        slices = tf.split(y_pred, self.member_dims, axis=-1)
        return tf.add_n([self.loss.call(y_true, member) for member in slices])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": keras.saving.serialize_keras_object(self.loss),
                "member_dims": self.member_dims}
