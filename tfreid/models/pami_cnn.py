"""The network of paper 002 (section 5.3), from its printed layer table.

    Conv 32 -> LeakyReLU(0.2)
    3x { Conv 64 / 128 / 256 -> BatchNorm -> LeakyReLU(0.2) }
    Conv C -> sigmoid -> Flatten

Every convolution is 2x2, stride 2, zero padding 1 and has no bias (the
parameter counts of the table: ``2*2*3*32`` = 384 for RGB input, ...), so each
halves the side: n -> n // 2 + 1, and 28 or 32 px inputs end at 2 x 2. The last
convolution has C = D / 4 channels there (C = 8 for the paper's D = 32).
Inputs are uint8-range pixels; the first layer scales them to [0, 1].
"""

from tfreid.errors import ConfigError
from tfreid.models.backbone import Backbone

CONV_FILTERS = (32, 64, 128, 256)


def output_side(side: int) -> int:
    """The side after the five 2x2 / stride 2 / pad 1 convolutions."""
    for _ in range(len(CONV_FILTERS) + 1):
        side = side // 2 + 1
    return side


def _conv(x, filters: int, name: str):
    from tfreid.backend import keras

    x = keras.layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(filters, 2, strides=2, use_bias=False, name=name)(x)


def pami_cnn(input_shape: tuple[int, int, int], embedding_dim: int = 32,
             name: str = "pami_cnn"):
    """Build paper 002's encoder: images (H, W, C) -> sigmoid embeddings (D,), a keras.Model."""
    from tfreid.backend import keras

    cells = output_side(input_shape[0]) * output_side(input_shape[1])
    if embedding_dim % cells:
        raise ConfigError(f"pami_cnn ends at {cells} cells for a {input_shape[0]}x"
                          f"{input_shape[1]} input: embedding_dim must be a multiple of {cells}")
    inputs = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="normalise")(inputs)
    for index, filters in enumerate(CONV_FILTERS):
        x = _conv(x, filters, f"conv{index + 1}")
        if index > 0:
            x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5,
                                                name=f"conv{index + 1}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv{index + 1}_leaky_relu")(x)
    x = _conv(x, embedding_dim // cells, "conv_out")
    x = keras.layers.Activation("sigmoid", name="sigmoid")(x)
    outputs = keras.layers.Flatten(name="embedding", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


PAMI = Backbone("pami", pami_cnn, description="paper 002's network")
