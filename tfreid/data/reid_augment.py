"""Seeded re-id training augmentations as tf ops, applied to the supervised methods' batches.

The ops (``tfreid.catalog.TRAIN_AUGMENTATIONS``), each a uint8 (H, W, C) image and a
(2,) int seed -> a uint8 image of the same shape, applied in this fixed order:

* ``flip``: horizontal flip with probability 0.5.
* ``pad_crop``: zero-pad ``PAD`` = 10 px on every side and crop an H x W window at a
  uniform offset in [0, 2 * PAD]^2 (Luo et al., "Bag of Tricks and a Strong Baseline
  for Deep Person Re-identification" (BoT), CVPRW 2019: Pad(10) + RandomCrop).
* ``jitter``: with probability 0.5, brightness x U(0.8, 1.2), contrast x U(0.85, 1.15),
  saturation x U(0.9, 1.1), no hue change, in that order (torchvision's ColorJitter
  factors 0.2 / 0.15 / 0.1 / 0; applied with fast-reid's probability 0.5).
* ``erase``: random erasing (Zhong et al., "Random Erasing Data Augmentation",
  AAAI 2020) with probability 0.5: up to ``ERASE_TRIES`` = 100 candidate rectangles
  of area share S_e ~ U(0.02, 0.4) and aspect r_e = H_e / W_e ~ U(0.3, 1 / 0.3)
  (uniform, as the paper's Algorithm 1), H_e = round(sqrt(S_e r_e S)),
  W_e = round(sqrt(S_e S / r_e)); the first whose rounded sides fit the image and
  whose realised area share and aspect still lie in those ranges is filled with the
  ImageNet mean (124, 116, 104) (BoT's choice; the paper also tries random values), at
  a uniform position. If no candidate fits, nothing is erased.

``erase`` comes last, as in BoT. ``augment_stream`` augments every training image of a
stream of batches (P x K images, pairs' ``image_a`` / ``image_b``, triplets' three
inputs) with a seed folded from (run seed, global step, position in the batch): the
images a batch gathers from memory or reads from the shards are the same, so are their
augmentations, and a resumed run augments its batches as an uninterrupted one.
"""

from collections.abc import Callable, Sequence

import numpy as np

from tfreid.backend import tf
from tfreid.catalog import TRAIN_AUGMENT_SHORTHANDS, TRAIN_AUGMENTATIONS
from tfreid.data import input_shard

PAD = 10
FLIP_PROBABILITY = 0.5
JITTER = {"probability": 0.5, "brightness": 0.2, "contrast": 0.15, "saturation": 0.1}
ERASE_PROBABILITY = 0.5
ERASE_AREA = (0.02, 0.4)
ERASE_ASPECT = (0.3, 1 / 0.3)
ERASE_TRIES = 100
ERASE_FILL = (124, 116, 104)  # the ImageNet mean (0.485, 0.456, 0.406) x 255, rounded
ORDER = TRAIN_AUGMENTATIONS.names()  # flip, pad_crop, jitter, erase
SALT = 0x5EED_A06  # keeps the augmentation draws apart from the samplers' (seed, step) keys

ImageOp = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def flip(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """The image mirrored left-right with probability 0.5."""
    mirror = tf.random.stateless_uniform([], seed) < FLIP_PROBABILITY
    return tf.where(mirror, tf.reverse(image, axis=[1]), image)


def pad_crop(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """An H x W crop of the image zero-padded by ``PAD`` px on each side (BoT)."""
    height, width = image.shape[0], image.shape[1]
    padded = tf.pad(image, [[PAD, PAD], [PAD, PAD], [0, 0]])
    offset = tf.random.stateless_uniform([2], seed, 0, 2 * PAD + 1, dtype=tf.int32)
    crop = tf.slice(padded, tf.concat([offset, [0]], 0), [height, width, image.shape[2]])
    return tf.ensure_shape(crop, image.shape)


def jitter(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Brightness, contrast and saturation jitter (module docstring), with probability 0.5."""
    seeds = tf.random.experimental.stateless_split(seed, 4)
    pixels = tf.cast(image, tf.float32) / 255.0
    b, c, s = (JITTER[k] for k in ("brightness", "contrast", "saturation"))
    changed = pixels * tf.random.stateless_uniform([], seeds[0], 1 - b, 1 + b)
    changed = tf.image.stateless_random_contrast(changed, 1 - c, 1 + c, seeds[1])
    if image.shape[-1] == 3:
        changed = tf.image.stateless_random_saturation(changed, 1 - s, 1 + s, seeds[2])
    changed = tf.cast(tf.round(tf.clip_by_value(changed, 0.0, 1.0) * 255.0), image.dtype)
    return tf.where(tf.random.stateless_uniform([], seeds[3]) < JITTER["probability"],
                    changed, image)


def erase_box(height: int, width: int, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(found, [top, left, box height, box width]) of random erasing's rectangle
    (module docstring); ``found`` is False when none of the tries fits."""
    seeds = tf.random.experimental.stateless_split(seed, 3)
    area = float(height * width)
    share = tf.random.stateless_uniform([ERASE_TRIES], seeds[0], *ERASE_AREA)
    aspect = tf.random.stateless_uniform([ERASE_TRIES], seeds[1], *ERASE_ASPECT)
    box_h = tf.cast(tf.round(tf.sqrt(share * area * aspect)), tf.int32)
    box_w = tf.cast(tf.round(tf.sqrt(share * area / aspect)), tf.int32)
    real_share = tf.cast(box_h * box_w, tf.float32) / area
    real_aspect = tf.cast(box_h, tf.float32) / tf.cast(tf.maximum(box_w, 1), tf.float32)
    fits = ((box_h >= 1) & (box_w >= 1) & (box_h <= height) & (box_w <= width)
            & (real_share >= ERASE_AREA[0]) & (real_share <= ERASE_AREA[1])
            & (real_aspect >= ERASE_ASPECT[0]) & (real_aspect <= ERASE_ASPECT[1]))
    first = tf.argmax(tf.cast(fits, tf.int32), output_type=tf.int32)
    size = tf.stack([box_h[first], box_w[first]])
    corner = tf.random.stateless_uniform([2], seeds[2], 0, 2**30, dtype=tf.int32)
    corner = corner % (tf.constant([height, width]) - size + 1)
    return fits[first], tf.concat([corner, size], 0)


def erase(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Random erasing (Zhong et al., 2020) with probability 0.5, filled with the mean."""
    height, width = image.shape[0], image.shape[1]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    found, box = erase_box(height, width, seeds[0])
    fire = found & (tf.random.stateless_uniform([], seeds[1]) < ERASE_PROBABILITY)
    rows, cols = tf.range(height), tf.range(width)
    inside = (((rows >= box[0]) & (rows < box[0] + box[2]))[:, None]
              & ((cols >= box[1]) & (cols < box[1] + box[3]))[None, :])
    fill = tf.constant(ERASE_FILL[:image.shape[-1]], image.dtype)
    return tf.where((inside & fire)[:, :, None], fill, image)


def canonical(names: Sequence[str]) -> list[str]:
    """``names`` (shorthands such as ``bot`` expanded) in the fixed order, each once;
    ValueError for an unknown one."""
    wanted = {op for name in names for op in TRAIN_AUGMENT_SHORTHANDS.get(name, (name,))}
    unknown = sorted(wanted - set(ORDER))
    if unknown:
        raise ValueError(f"unknown training augmentation {unknown[0]!r}")
    return [name for name in ORDER if name in wanted]


def compose(names: Sequence[str]) -> ImageOp:
    """One (uint8 image, seed) -> uint8 image op of ``names``, in the fixed order."""
    ops = [(ORDER.index(name), TRAIN_AUGMENTATIONS.get(name)) for name in canonical(names)]

    def apply(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        seeds = tf.random.experimental.stateless_split(seed, len(ORDER))
        for slot, op in ops:  # each op keeps its own seed whichever others run
            image = op(image, seeds[slot])
        return image

    return apply


def image_seeds(seed: int, step: tf.Tensor, part: int, rows: tf.Tensor) -> tf.Tensor:
    """(rows, 2) seeds of this pipeline's ``rows`` images of input ``part`` (0 for a
    single input; the pairs' and triplets' inputs in sorted key order) at global step
    ``step``: (run seed, step, part) folded with each image's position in the whole
    (unsharded) batch."""
    key = tf.constant([seed, SALT], tf.int64)
    for data in (tf.cast(step, tf.int64), tf.constant(part, tf.int64)):
        key = tf.random.experimental.stateless_fold_in(key, data)
    positions = tf.range(rows, dtype=tf.int64) + _shard_offset(rows)
    return tf.map_fn(lambda p: tf.random.experimental.stateless_fold_in(key, p), positions,
                     fn_output_signature=tf.int64)


def _shard_offset(rows: tf.Tensor) -> tf.Tensor:
    """The position of this pipeline's first row in the global batch (0 unless sharded,
    ``tfreid.data.input_shard``: worker w of n reads rows [w B / n, (w + 1) B / n))."""
    return tf.cast(rows, tf.int64) * input_shard.shard_index()


def augment_batch(op: ImageOp, images: tf.Tensor, seeds: tf.Tensor) -> tf.Tensor:
    """``op`` on each image of a (B, H, W, C) batch with its seed of (B, 2) ``seeds``."""
    return tf.map_fn(lambda item: op(item[0], item[1]), (images, seeds),
                     fn_output_signature=tf.TensorSpec(images.shape[1:], images.dtype))


def augment_inputs(op: ImageOp, inputs, seed: int, step: tf.Tensor):
    """A batch's model inputs augmented: one image tensor, or a dict of them (pairs,
    triplets), each input with seeds of its own (``image_seeds``)."""
    if not isinstance(inputs, dict):
        return augment_batch(op, inputs, image_seeds(seed, step, 0, tf.shape(inputs)[0]))
    return {key: augment_batch(op, inputs[key],
                               image_seeds(seed, step, part, tf.shape(inputs[key])[0]))
            for part, key in enumerate(sorted(inputs))}


def augment_stream(dataset: tf.data.Dataset, names: Sequence[str], seed: int,
                   start_step: int = 0) -> tf.data.Dataset:
    """A stream of (inputs, targets) batches from global step ``start_step`` on, its
    inputs augmented with ``names`` (module docstring); unchanged without names."""
    if not names:
        return dataset
    op = compose(names)

    def augment(step: tf.Tensor, element):
        inputs, targets = element
        return augment_inputs(op, inputs, seed, step), targets

    steps = dataset.enumerate(start=np.int64(start_step))
    return steps.map(augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
