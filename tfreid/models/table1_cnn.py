"""The CNN of Table I in Klüttermann et al. (paper 000), as in its code (psorus/cf).

    [AveragePooling(downscale)] ->
    3x { Conv 16 3x3 (valid), Conv 16 3x3 (valid), MaxPool 2x2 } -> Flatten ->
    3x Dense 128 -> Dense D (linear)

``width`` multiplies the 16 filters and 128 units (paper 000, Fig. 9);
``downscale`` average-pools the input by that factor, the paper's resolution
knob (256 px / 1..7). Inputs are uint8-range pixels; the first layer scales them
to [0, 1].
"""

from tfreid.backend import keras


def table1_cnn(
    input_shape: tuple[int, int, int],
    embedding_dim: int = 100,
    activation: str = "relu",
    width: float = 1.0,
    downscale: int = 1,
    name: str = "table1_cnn",
) -> keras.Model:
    """Build the Table I encoder: images (H, W, 3) -> embeddings (D,)."""
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
    return keras.Model(inputs, outputs, name=name)
