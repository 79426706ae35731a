"""The CNN of Table I in Klüttermann et al. (paper 000), as in its code (psorus/cf).

    [AveragePooling(downscale)] ->
    3x { Conv 16 3x3 (valid), Conv 16 3x3 (valid), MaxPool 2x2 } -> Flatten ->
    3x Dense 128 -> Dense D (linear)

``width`` multiplies the 16 filters and 128 units (paper 000, Fig. 9);
``downscale`` average-pools the input by that factor, the paper's resolution
knob (256 px / 1..7). ``neck="bnneck"`` adds BoT's BNNeck after the embedding
(``tfreid.models.neck``), as the Keras applications' ``--neck`` does. Inputs are
uint8-range pixels; the first layer scales them to [0, 1].

Its options (``Table1Options``) are the ``--activation``, ``--width``,
``--downscale`` and ``--neck`` flags; the module imports TensorFlow only when it builds.
"""

import math
from dataclasses import dataclass

from tfreid.errors import ConfigError
from tfreid.limits import MAX_WIDTH
from tfreid.models.applications import NECKS
from tfreid.models.backbone import Backbone
from tfreid.registry import option

TABLE1_ACTIVATIONS = ("relu", "elu", "leaky_relu", "tanh", "sigmoid", "selu", "gelu")
MIN_SIDE = 36  # px after downscaling: the three conv-conv-pool blocks need it


@dataclass(frozen=True)
class Table1Options:
    activation: str = option("relu", "activation of every hidden layer (paper 000, Fig. 8)",
                             TABLE1_ACTIVATIONS)
    width: float = option(1.0, "width multiplier of the 16 filters and 128 units (paper 000, "
                               "Fig. 9)", minimum=0.0, maximum=MAX_WIDTH)
    downscale: int = option(1, "input average-pooling factor (paper 000's resolution knob)",
                            minimum=1)
    neck: str = option("none", "after the embedding: nothing, or bnneck (batch "
                       "normalisation without shift; BoT)", NECKS)


def check_table1(options: Table1Options, image_shape: tuple[int, int]) -> None:
    """ConfigError for a width that is not a finite number in (0, MAX_WIDTH] or an input
    under 36 px after downscaling."""
    width = options.width
    if not (isinstance(width, int | float) and math.isfinite(width) and 0 < width <= MAX_WIDTH):
        raise ConfigError(f"width must be finite, above 0 and at most {MAX_WIDTH:g}, "
                          f"got {width}")
    if min(image_shape) // options.downscale < MIN_SIDE:
        size = image_shape[0] if image_shape[0] == image_shape[1] else tuple(image_shape)
        raise ConfigError(f"the table1 CNN needs at least {MIN_SIDE} px after downscaling, "
                          f"got {size} / {options.downscale}")


def table1_cnn(
    input_shape: tuple[int, int, int],
    embedding_dim: int = 100,
    activation: str = "relu",
    width: float = 1.0,
    downscale: int = 1,
    name: str = "table1_cnn",
    neck: str = "none",
):
    """Build the Table I encoder: images (H, W, 3) -> embeddings (D,), a keras.Model."""
    from tfreid.backend import keras
    from tfreid.models.neck import add_neck

    filters, units = max(1, int(16 * width)), max(1, int(128 * width))
    inputs = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="normalise")(inputs)
    if downscale > 1:
        x = keras.layers.AveragePooling2D(downscale, name="downscale")(x)
    for block in range(3):
        for conv in range(2):
            x = keras.layers.Conv2D(filters, 3, activation=activation,
                                    name=f"block{block + 1}_conv{conv + 1}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block + 1}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for layer in range(3):
        x = keras.layers.Dense(units, activation=activation, name=f"dense{layer + 1}")(x)
    outputs = keras.layers.Dense(embedding_dim, name="embedding", dtype="float32")(x)
    return keras.Model(inputs, add_neck(outputs, neck), name=name)


TABLE1 = Backbone("table1", table1_cnn, Table1Options, "paper 000's Table I CNN", check_table1)
