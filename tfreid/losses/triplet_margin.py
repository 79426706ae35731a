"""Triplet margin loss over the triplets of a batch (PyTorch's ``TripletMarginLoss``;
FaceNet; paper 000 eq. 1; paper 002, 3.4.3):

    L(a, p, n) = max(0, d(a, p) - d(a, n) + margin)

or, with ``soft=True``, the soft margin of Hermans et al. ("In Defense of the Triplet Loss",
2017, eq. 4; fast-reid's ``margin=0``), which never stops pulling:

    L(a, p, n) = ln(1 + exp(d(a, p) - d(a, n)))          (``margin`` unused)

with d the plain l2 distance by default (paper 000 states its margin of 1.0
against it; PyTorch's default p = 2), ``LpDistance(power=2)`` for psorus/cf's
squared l2, or a similarity (then S(a, n) - S(a, p) + margin). An anchor's loss
is the mean over its triplets: every (positive, negative) of the batch, or the
triplets a miner keeps:

* ``BatchHardMiner()``: one triplet per anchor, its farthest positive and
  closest negative (batch-hard, Hermans et al.);
* ``SemiHardMiner()``: one per positive pair (FaceNet's semi-hard negatives).

Without a miner it holds a (B, N, N) tensor: keep batches to a few hundred rows.

Example::

    from tfreid.losses import BatchHardMiner, CosineSimilarity, TripletMarginLoss

    loss = TripletMarginLoss(margin=1.0, miner=BatchHardMiner(), distance=CosineSimilarity())
    assert loss(labels, embeddings).shape == ()
"""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.metric_loss import Batch, MetricLoss
from tfreid.losses.reductions import masked_mean


@serializable
class TripletMarginLoss(MetricLoss):
    """Batch triplet margin loss (formula above)."""

    config_fields = ("margin", "soft")

    def __init__(self, margin: float = 1.0, name: str = "triplet_margin_loss",
                 soft: bool = False, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.margin, self.soft = float(margin), bool(soft)

    def anchor_losses(self, batch: Batch) -> tf.Tensor:
        d = self.distance.matrix(batch.embeddings, batch.keys)
        triplets = self.mined_triplets(batch, d)
        violation = self.distance.margin(d[:, :, None], d[:, None, :])
        losses = tf.nn.softplus(violation) if self.soft else tf.nn.relu(violation + self.margin)
        rows = tf.shape(d)[0]
        return masked_mean(tf.reshape(losses, [rows, -1]), tf.reshape(triplets, [rows, -1]))
