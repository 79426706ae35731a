"""Image decoding, probing and resizing shared by importers, reader and exports."""

import io

from PIL import Image, UnidentifiedImageError

from tfreid.backend import tf
from tfreid.errors import DataError


def probe_image(data: bytes, name: str) -> tuple[int, int]:
    """Fully decode encoded image bytes; return (height, width) or raise DataError."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.height, image.width
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DataError(f"image {name} does not decode: {error}") from None


def resize_images(images: tf.Tensor, image_size: tuple[int, int]) -> tf.Tensor:
    """Resize uint8 images (H, W, 3) or (B, H, W, 3) to ``image_size``, as uint8.

    Bilinear with antialiasing, rounded back to uint8. The TFRecord reader and
    the exported serving signature both use this function, so a SavedModel sees
    exactly the pixels the model was trained and evaluated on.
    """
    resized = tf.image.resize(images, image_size, method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)


def decode_image(encoded: tf.Tensor) -> tf.Tensor:
    """Decode JPEG/PNG bytes to a (H, W, 3) uint8 tensor."""
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image
