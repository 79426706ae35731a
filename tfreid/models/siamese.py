"""The Siamese twin network: one shared encoder applied to both images of a pair.

Outputs ``distance`` = ||f(a) - f(b)||_2 (for the contrastive loss) and, with a
merge head (paper 004, Fig. 1.1), ``logit`` = Dense(1)(|f(a) - f(b)|), the
same-identity logit for binary verification. The sigmoid is left to the loss.
"""

from tfreid.backend import keras, serializable, tf
from tfreid.nn.distances import pair_distance


@serializable
class PairDistance(keras.layers.Layer):
    """Euclidean distance between two batches of embeddings, shape (B,).

    The square root is ``safe_sqrt``: identical embeddings give exactly 0 and a zero,
    not NaN, gradient.
    """

    def call(self, a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        return pair_distance(a, b)


@serializable
class AbsoluteDifference(keras.layers.Layer):
    """|a - b| elementwise: the merge layer of paper 004."""

    def call(self, a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        return tf.abs(a - b)


def build_siamese(encoder: keras.Model, merge_head: bool = False) -> keras.Model:
    """A two-input model ``{"image_a", "image_b"}`` around the shared ``encoder``."""
    shape = encoder.input_shape[1:]
    image_a = keras.Input(shape=shape, name="image_a")
    image_b = keras.Input(shape=shape, name="image_b")
    embedding_a, embedding_b = encoder(image_a), encoder(image_b)
    outputs = {"distance": PairDistance(name="distance")(embedding_a, embedding_b)}
    if merge_head:
        merged = AbsoluteDifference(name="abs_difference")(embedding_a, embedding_b)
        logit = keras.layers.Dense(1, name="merge_dense")(merged)
        outputs["logit"] = keras.layers.Reshape((), name="logit")(logit)
    return keras.Model({"image_a": image_a, "image_b": image_b}, outputs, name="siamese")
