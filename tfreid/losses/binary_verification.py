"""Binary verification loss on the merge head's logit (paper 004, section 1.5.2)."""

from typing import Any

from tfreid.backend import serializable, tf
from tfreid.losses.loss import Loss


@serializable
class BinaryVerificationPairLoss(Loss):
    """L = -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] for a pair's logit z.

    ``y_true`` is 1 for a same-identity pair; ``y_pred`` is the *logit* of the
    merge head Dense(1)(|f(a) - f(b)|). The sigmoid is applied here, once, in the
    numerically stable form of ``tf.nn.sigmoid_cross_entropy_with_logits``
    (004's TF 1.15 code applied it twice, squashing the probabilities).

    Example::

        from tfreid.losses import BinaryVerificationPairLoss
        from tfreid.models.siamese import build_siamese

        siamese = build_siamese(encoder, merge_head=True)  # outputs "distance" and "logit"
        siamese.compile("adam", loss={"logit": BinaryVerificationPairLoss()})
        pairs = {"image_a": images[0::2], "image_b": images[1::2]}
        same = (labels[0::2] == labels[1::2]).astype("float32")  # 1: the same identity
        siamese.fit(pairs, {"logit": same}, epochs=1, verbose=0)
    """

    def __init__(self, name: str = "binary_verification_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        """One loss per pair, shape (B,), for ``y_pred`` (B, 1) or (B,)."""
        logits = tf.cast(y_pred, tf.float32)
        logits = tf.reshape(logits, tf.shape(logits)[:1])
        labels = tf.reshape(tf.cast(y_true, logits.dtype), tf.shape(logits))
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
