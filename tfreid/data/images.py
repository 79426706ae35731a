"""Image decoding, probing and resizing shared by importers, reader and exports."""

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from tfreid.backend import tf
from tfreid.errors import DataError

TF_FORMATS = {"JPEG", "MPO", "PNG", "GIF", "BMP"}  # what tf.io.decode_image reads
TF_MODES = {"1", "L", "P", "RGB", "RGBA", "LA"}


def _open_fully(data: bytes, name: str):
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Image.DecompressionBombError as error:
        raise DataError(f"image {name} is too large to decode safely: {error}") from None
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DataError(f"image {name} does not decode: {error}") from None


def probe_image(data: bytes, name: str) -> tuple[int, int]:
    """Fully decode encoded image bytes; return (height, width) or raise DataError."""
    with _open_fully(data, name) as image:
        return image.height, image.width


def tensorflow_decodable(path: str | Path) -> tuple[bytes, int, int, str | None]:
    """(bytes, height, width, re-encoded from) of an image file, ready for TensorFlow.

    The file's own bytes when TensorFlow decodes its format (JPEG, PNG, GIF,
    BMP in a plain colour mode); otherwise (a TIFF or WebP, say, even under a
    .png name, or a CMYK JPEG) the pixels re-encoded as PNG, and the format they
    came from. DataError names a file that does not decode at all.
    """
    data = Path(path).read_bytes()
    with _open_fully(data, str(path)) as image:
        if image.format in TF_FORMATS and image.mode in TF_MODES:
            return data, image.height, image.width, None
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
        return buffer.getvalue(), image.height, image.width, f"{image.format} {image.mode}"


def resize_images(images: tf.Tensor, image_size: tuple[int, int]) -> tf.Tensor:
    """Resize uint8 images (H, W, 3) or (B, H, W, 3) to ``image_size``, as uint8.

    Bilinear with antialiasing, rounded back to uint8; images already of that
    size pass unchanged (the resize would return them exactly, at ~4x the cost
    of decoding a 64 px JPEG). The TFRecord reader and the exported serving
    signature both use this function, so a SavedModel sees exactly the pixels
    the model was trained and evaluated on.
    """
    images = tf.convert_to_tensor(images)

    def resize() -> tf.Tensor:
        resized = tf.image.resize(images, image_size, method="bilinear", antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)

    size = images.shape[-3:-1]
    if size.is_fully_defined():
        return images if tuple(size) == tuple(image_size) else resize()
    same = tf.reduce_all(tf.equal(tf.shape(images)[-3:-1], image_size))
    result = tf.cond(same, lambda: tf.identity(images), resize)
    result.set_shape(images.shape[:-3].concatenate([*image_size, images.shape[-1]]))
    return result


def decode_image(encoded: tf.Tensor) -> tf.Tensor:
    """Decode JPEG/PNG bytes to a (H, W, 3) uint8 tensor."""
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image
