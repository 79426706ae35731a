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
from tfreid.errors import DataError

AUTOTUNE = tf.data.AUTOTUNE


def anchor_positive_dataset(
    images: np.ndarray, labels: np.ndarray, augment: str, batch_size: int, seed: int,
    augment_anchor: bool = False,
) -> tf.data.Dataset:
    """An endless, seeded dataset of anchor / positive batches (module docstring).

    The positive is ``augment(anchor)``; with ``augment_anchor`` the anchor is an
    independently augmented view too (as SimCLR). Element n of the stream draws
    its augmentations from seeds split off (seed, n), so runs repeat exactly and
    every epoch sees new augmentations.
    """
    if len(images) < batch_size:
        raise DataError(f"{len(images)} images cannot fill a batch of {batch_size}")
    transform = augmentation(augment)

    def views(index: tf.Tensor, element: tuple[tf.Tensor, tf.Tensor]):
        image, label = element
        seeds = tf.random.experimental.stateless_split(
            tf.stack([tf.constant(seed, tf.int64), index]), 2)
        anchor = transform(image, seeds[0]) if augment_anchor else image
        return anchor, transform(image, seeds[1]), label

    def stack(anchors: tf.Tensor, positives: tf.Tensor, batch_labels: tf.Tensor):
        return (tf.concat([anchors, positives], axis=0),
                tf.concat([batch_labels, batch_labels], axis=0))

    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int64)))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    dataset = dataset.enumerate().map(views, num_parallel_calls=AUTOTUNE, deterministic=True)
    return dataset.batch(batch_size, drop_remainder=True).map(stack).prefetch(AUTOTUNE)
