"""Seeded image augmentations as tf ops, for use inside tf.data (paper 002, section 5.2).

* ``none``: the image unchanged.
* ``fer`` (Guo et al., 2016): resize x2, zero-pad, random rotation in +-15
  degrees, centre crop back, resize to the input size.
* ``simclr`` (Chen et al., 2020): random resized crop (area 8-100 %, aspect
  3/4-4/3), horizontal flip (p = 0.5), colour jitter of strength 0.8 (p = 0.8),
  greyscale (p = 0.2), Gaussian blur with sigma in [0.1, 2] and a kernel of 10 %
  of the side (p = 0.5).
* ``crop_flip``: random resized crop (area 16-100 %, aspect 3/4-4/3) and
  horizontal flip, the views of the self-supervised methods' code (STML's
  RandomResizedCrop(0.16, 1) + flip; UEL's random crop + flip).

``augmentation(kind)`` takes a uint8 (H, W, C) image and a (2,) int seed and
returns a uint8 image of the same shape: the same seed gives the same result, so
a pipeline that derives each element's seed from its position is deterministic.
The kinds are ``tfreid.catalog.AUGMENTATIONS``: a new one is a (float image in
[0, 1], seed) -> image function plus one line there.
"""

import math
from collections.abc import Callable

from tfreid.backend import tf
from tfreid.catalog import AUGMENTATIONS

ROTATION_DEGREES = 15.0
JITTER_STRENGTH = 0.8

Augmentation = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def rotate(image: tf.Tensor, angle: tf.Tensor) -> tf.Tensor:
    """Rotate a float (H, W, C) image ``angle`` radians counter-clockwise about its centre.

    Bilinear, zero fill, by the projective transform that Keras' RandomRotation
    uses (TensorFlow Addons' rotate does not import on TF 2.21).
    """
    height, width = (tf.cast(s, tf.float32) for s in (tf.shape(image)[0], tf.shape(image)[1]))
    cos, sin = tf.cos(angle), tf.sin(angle)
    x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0
    y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0
    transform = tf.stack([cos, -sin, x_offset, sin, cos, y_offset, 0.0, 0.0])[None]
    rotated = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None], transforms=transform, output_shape=tf.shape(image)[:2],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
    return tf.ensure_shape(rotated[0], image.shape)


def fer_augment(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Resize x2, pad, rotate +-15 deg, centre crop, resize back (float image in [0, 1])."""
    height, width = image.shape[0], image.shape[1]
    pad = max(1, round(0.1 * 2 * height))
    large = tf.image.resize(image, (2 * height, 2 * width))
    padded = tf.pad(large, [[pad, pad], [pad, pad], [0, 0]])
    limit = math.radians(ROTATION_DEGREES)
    angle = tf.random.stateless_uniform([], seed, -limit, limit)
    cropped = rotate(padded, angle)[pad:pad + 2 * height, pad:pad + 2 * width]
    return tf.image.resize(cropped, (height, width))


def random_resized_crop(image: tf.Tensor, seed: tf.Tensor, min_area: float = 0.08) -> tf.Tensor:
    """A random crop of ``min_area``-100 % of the area, aspect 3/4-4/3, resized back."""
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), tf.constant([[[0.0, 0.0, 1.0, 1.0]]]), seed=seed,
        min_object_covered=0.0, aspect_ratio_range=(3 / 4, 4 / 3), area_range=(min_area, 1.0),
        max_attempts=100, use_image_if_no_bounding_boxes=True)
    crop = tf.slice(image, begin, size)
    return tf.ensure_shape(tf.image.resize(crop, image.shape[:2]), image.shape)


def colour_jitter(image: tf.Tensor, seed: tf.Tensor, strength: float = JITTER_STRENGTH):
    """Brightness, contrast (x in [1-s, 1+s]), saturation (same) and hue (+-s/4), as SimCLR."""
    seeds = tf.random.experimental.stateless_split(seed, 4)
    factor = tf.random.stateless_uniform([], seeds[0], max(0.0, 1 - strength), 1 + strength)
    image = tf.image.stateless_random_contrast(image * factor, 1 - strength, 1 + strength,
                                               seeds[1])
    if image.shape[-1] == 3:
        image = tf.image.stateless_random_saturation(image, 1 - strength, 1 + strength, seeds[2])
        image = tf.image.stateless_random_hue(image, strength / 4, seeds[3])
    return tf.clip_by_value(image, 0.0, 1.0)


def greyscale(image: tf.Tensor) -> tf.Tensor:
    """Luma, repeated over the image's channels."""
    if image.shape[-1] != 3:
        return image
    return tf.tile(tf.image.rgb_to_grayscale(image), [1, 1, 3])


def gaussian_blur(image: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    """Separable Gaussian blur with an odd kernel of about 10 % of the image side."""
    radius = max(1, round(0.1 * image.shape[0]) // 2)
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-tf.square(x) / (2.0 * tf.square(sigma)))
    kernel /= tf.reduce_sum(kernel)
    channels = image.shape[-1]
    horizontal = tf.tile(tf.reshape(kernel, [1, -1, 1, 1]), [1, 1, channels, 1])
    vertical = tf.reshape(horizontal, [-1, 1, channels, 1])
    blurred = tf.nn.depthwise_conv2d(image[None], horizontal, [1, 1, 1, 1], "SAME")
    return tf.nn.depthwise_conv2d(blurred, vertical, [1, 1, 1, 1], "SAME")[0]


def _with_probability(p: float, seed: tf.Tensor, changed: tf.Tensor, image: tf.Tensor):
    return tf.where(tf.random.stateless_uniform([], seed) < p, changed, image)


def simclr_augment(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """SimCLR's augmentation (module docstring) of a float image in [0, 1]."""
    seeds = tf.random.experimental.stateless_split(seed, 8)
    image = random_resized_crop(image, seeds[0])
    image = tf.image.stateless_random_flip_left_right(image, seeds[1])
    image = _with_probability(0.8, seeds[2], colour_jitter(image, seeds[3]), image)
    image = _with_probability(0.2, seeds[4], greyscale(image), image)
    sigma = tf.random.stateless_uniform([], seeds[5], 0.1, 2.0)
    return _with_probability(0.5, seeds[6], gaussian_blur(image, sigma), image)


def crop_flip_augment(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Random resized crop (16-100 % of the area) and horizontal flip (p = 0.5)."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    image = random_resized_crop(image, seeds[0], min_area=0.16)
    return tf.image.stateless_random_flip_left_right(image, seeds[1])


def unchanged(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """``none``: the image as it is."""
    return image


def augmentation(kind: str) -> Augmentation:
    """The uint8 -> uint8 augmentation ``kind`` (of ``tfreid.catalog.AUGMENTATIONS``)."""
    transform = AUGMENTATIONS.get(kind)
    if transform is unchanged:
        return unchanged

    def apply(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        result = transform(tf.cast(image, tf.float32) / 255.0, seed)
        return tf.cast(tf.clip_by_value(tf.round(result * 255.0), 0.0, 255.0), tf.uint8)

    return apply
