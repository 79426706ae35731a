"""The triplet network: one shared encoder over (anchor, positive, negative)."""

from tfreid.backend import keras, serializable, tf


@serializable
class StackEmbeddings(keras.layers.Layer):
    """Stack three (B, D) embeddings into (B, 3, D), the input of ``TripletLoss``; in
    float32, whatever the mixed-precision policy."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, anchor: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor) -> tf.Tensor:
        return tf.stack([anchor, positive, negative], axis=1)


def build_triplet_model(encoder: keras.Model) -> keras.Model:
    """A model ``{"anchor", "positive", "negative"}`` -> (B, 3, D) around ``encoder``."""
    shape = encoder.input_shape[1:]
    inputs = {name: keras.Input(shape=shape, name=name)
              for name in ("anchor", "positive", "negative")}
    stacked = StackEmbeddings(name="triplet_embeddings")(
        *(encoder(inputs[name]) for name in ("anchor", "positive", "negative")))
    return keras.Model(inputs, stacked, name="triplet")
