"""Anchor / augmented-positive batches (paper 002, section 5.2).

Each batch holds B images and, after them, their augmented copies, with the
images' class labels repeated: ``(images (2B, H, W, C), labels (2B,))``. A
batch loss of ``(labels, embeddings)`` then sees the augmented copy as a
positive of its anchor, the other images of the class as positives too, and
every image of another class as a negative.
"""

import numpy as np

from tfreid.backend import tf
from tfreid.data.augment import augmentation
from tfreid.data.input_shard import shard_rows_per_batch
from tfreid.data.record_images import with_images
from tfreid.errors import DataError

AUTOTUNE = tf.data.AUTOTUNE


def anchor_positive_dataset(
    images: np.ndarray, labels: np.ndarray, augment: str, batch_size: int, seed: int,
    augment_anchor: bool = False, start_step: int = 0,
) -> tf.data.Dataset:
    """An endless, seeded dataset of anchor / positive batches (module docstring).

    Element n of the stream is image ``order_e[n mod N]`` of epoch e = n // N,
    the order drawn from (``seed``, e); the positive is ``augment(anchor)``
    (with ``augment_anchor`` the anchor is an independently augmented view
    too, as SimCLR), with seeds split off (``seed``, n). Runs repeat exactly,
    every epoch sees new augmentations, and the stream can start at batch
    ``start_step`` (a resumed run).
    """
    count = len(images)
    if count < batch_size:
        raise DataError(f"{count} images cannot fill a batch of {batch_size}")
    transform = augmentation(augment)
    classes = tf.constant(labels.astype(np.int64))

    def epoch_order(epoch: tf.Tensor) -> tf.data.Dataset:
        keys = tf.random.stateless_uniform([count], tf.stack([tf.constant(seed, tf.int64),
                                                              epoch]))
        positions = epoch * count + tf.range(count, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((tf.argsort(keys), positions))

    def views(image: tf.Tensor, position: tf.Tensor, index: tf.Tensor):
        seeds = tf.random.experimental.stateless_split(
            tf.stack([tf.constant(seed, tf.int64), position]), 2)
        anchor = transform(image, seeds[0]) if augment_anchor else image
        return anchor, transform(image, seeds[1]), tf.gather(classes, index)

    def stack(anchors: tf.Tensor, positives: tf.Tensor, batch_labels: tf.Tensor):
        return (tf.concat([anchors, positives], axis=0),
                tf.concat([batch_labels, batch_labels], axis=0))

    first = start_step * batch_size
    dataset = tf.data.Dataset.range(first // count, np.iinfo(np.int64).max)
    dataset = dataset.flat_map(epoch_order).skip(first % count)
    dataset = with_images(dataset.batch(batch_size, drop_remainder=True), images,
                          lambda pixels, index, positions: (pixels, positions, index))
    dataset = dataset.unbatch().map(views, num_parallel_calls=AUTOTUNE, deterministic=True)
    dataset = dataset.batch(shard_rows_per_batch(batch_size), drop_remainder=True)
    return dataset.map(stack).prefetch(AUTOTUNE)
