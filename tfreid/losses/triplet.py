"""Triplet loss of explicit triplets (Schroff et al., FaceNet, 2015; paper 000 eq. 1).

For an anchor a, a positive p (same identity) and a negative n (another one):

    L(a, p, n) = max(0, d(a, p) - d(a, n) + alpha)

with d the l2 distance ||f(x) - f(y)||_2 (paper 000, alpha = 1.0), or its square
(``squared=True``, as psorus/cf computed it). For triplets mined from a batch
use ``TripletMarginLoss`` with a miner.
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.loss import Loss
from tfreid.nn.distances import pair_distance


@serializable
class TripletLoss(Loss):
    """Triplet loss of explicit triplets: ``y_pred`` is (B, 3, D) = (anchor, positive, negative).

    ``y_true`` is ignored (the triplet's order carries the labels).

    Example::

        from tfreid.losses import TripletLoss
        from tfreid.models.triplet import build_triplet_model

        model = build_triplet_model(encoder)  # {"anchor", "positive", "negative"} -> (B, 3, D)
        model.compile("adam", loss=TripletLoss(margin=1.0))
        anchors, positives = images[0::2], images[1::2]  # two images of each identity
        triplets = {"anchor": anchors, "positive": positives, "negative": positives[::-1]}
        model.fit(triplets, labels[0::2], epochs=1, verbose=0)  # the labels are not used
    """

    def __init__(self, margin: float = 1.0, squared: bool = False, name: str = "triplet_loss",
                 **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        self.squared = bool(squared)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        anchor, positive, negative = tf.unstack(tf.cast(y_pred, tf.float32), 3, axis=1)
        d_ap = pair_distance(anchor, positive, self.squared)
        d_an = pair_distance(anchor, negative, self.squared)
        return tf.nn.relu(d_ap - d_an + self.margin)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin, "squared": self.squared}
