"""The base network of Bojja's Siamese re-id (paper 004, section 1.4).

Four convolutional blocks, each {Conv2D 3x3 (same), MaxPool 2x2, BatchNorm,
ReLU, Dropout}, then Flatten -> Dropout -> Dense D. The dropout (rate 0.2 in the
paper, after every block and the dense layer) was 004's fix for overfitting.
The module imports TensorFlow only when it builds.
"""

from tfreid.models.backbone import Backbone


def siamese_base_net(
    input_shape: tuple[int, int, int],
    embedding_dim: int = 128,
    filters: tuple[int, ...] = (16, 32, 64, 128),
    dropout: float = 0.2,
    name: str = "siamese_base_net",
):
    """Build 004's base network: images (H, W, 3) -> embeddings (D,), a keras.Model."""
    from tfreid.backend import keras

    inputs = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="normalise")(inputs)
    for block, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(count, 3, padding="same", name=f"block{block}_conv")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        x = keras.layers.BatchNormalization(name=f"block{block}_bn")(x)
        x = keras.layers.ReLU(name=f"block{block}_relu")(x)
        x = keras.layers.Dropout(dropout, name=f"block{block}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(dropout, name="dense_dropout")(x)
    outputs = keras.layers.Dense(embedding_dim, name="embedding", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


SIAMESE_BASE = Backbone("siamese_base", siamese_base_net, description="paper 004's base net")
