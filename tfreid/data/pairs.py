"""Balanced, seeded pair sampling in pure tf.data (paper 004's Siamese training).

Element i of the stream is a pair (a, b) with label y = 1 - i mod 2, so every
batch of even size holds exactly half same-identity pairs. a is uniform over
all images; for y = 1, b is another image of a's identity, for y = 0 an image of
a uniformly chosen other identity. Draws come from
``tf.random.stateless_uniform`` keyed by (seed, i): the stream is the same on
every run, and ``fit`` with ``steps_per_epoch`` sees fresh pairs every epoch.
"""

from collections.abc import Sequence

import numpy as np

from tfreid.backend import tf
from tfreid.data.record_images import with_images
from tfreid.errors import DataError


def check_pairable(identities: np.ndarray, split: str = "train") -> None:
    """DataError unless there are >= 2 identities, each with >= 2 images."""
    ids, counts = np.unique(identities, return_counts=True)
    if len(ids) < 2:
        raise DataError(f"split {split!r} has {len(ids)} identity; pairs need at least 2")
    lonely = ids[counts < 2]
    if len(lonely):
        raise DataError(
            f"identity {lonely[0]} has only 1 image in split {split!r} "
            f"({len(lonely)} such identities); a same-identity pair needs 2")


def index_tables(identities: np.ndarray) -> dict[str, tf.Tensor]:
    """Lookup tensors: images sorted by identity (``order``), each image's class,
    each class's ``starts`` and ``counts`` in that order, each image's rank in it."""
    order = np.argsort(identities, kind="stable")
    _, class_of, counts = np.unique(identities, return_inverse=True, return_counts=True)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_in_class = np.empty(len(identities), dtype=np.int64)
    rank_in_class[order] = np.arange(len(identities)) - starts[class_of[order]]
    return {name: tf.constant(value, tf.int64) for name, value in {
        "order": order, "class_of": class_of, "counts": counts, "starts": starts,
        "rank_in_class": rank_in_class}.items()}


def _draw(uniform: tf.Tensor, n: tf.Tensor) -> tf.Tensor:
    """floor(u * n) as int64, kept below n."""
    n = tf.cast(n, tf.float64)
    return tf.cast(tf.minimum(tf.floor(tf.cast(uniform, tf.float64) * n), n - 1), tf.int64)


def _sample_indices(t: dict[str, tf.Tensor], element: tf.Tensor, seed: int):
    """Indices a, b and labels y for a vector of stream positions."""
    uniform = tf.random.stateless_uniform(
        [tf.size(element), 4], seed=tf.stack([tf.constant(seed, tf.int64), element[0]]))
    num_images, num_classes = tf.size(t["order"], tf.int64), tf.size(t["counts"], tf.int64)
    label = 1 - element % 2
    a = _draw(uniform[:, 0], num_images)
    cls = tf.gather(t["class_of"], a)
    offset = _draw(uniform[:, 1], tf.gather(t["counts"], cls) - 1)
    offset += tf.cast(offset >= tf.gather(t["rank_in_class"], a), tf.int64)
    positive = tf.gather(t["order"], tf.gather(t["starts"], cls) + offset)
    other = (cls + 1 + _draw(uniform[:, 2], num_classes - 1)) % num_classes
    other_offset = _draw(uniform[:, 3], tf.gather(t["counts"], other))
    negative = tf.gather(t["order"], tf.gather(t["starts"], other) + other_offset)
    return a, tf.where(label == 1, positive, negative), label


def pair_dataset(
    images: np.ndarray,
    identities: np.ndarray,
    batch_size: int,
    seed: int,
    targets: Sequence[str] = ("distance",),
    start_step: int = 0,
) -> tf.data.Dataset:
    """Endless batches ({"image_a", "image_b"}, {target: label for each target}).

    The stream starts at batch ``start_step`` (a resumed run goes on where it stopped).
    """
    if batch_size < 2 or batch_size % 2:
        raise DataError(f"pair batch size must be even and >= 2, got {batch_size}")
    check_pairable(identities)
    tables = index_tables(np.asarray(identities))

    def to_indices(element: tf.Tensor):
        a, b, label = _sample_indices(tables, element, seed)
        return tf.stack([a, b], axis=1), label

    def assemble(pixels: tf.Tensor, index: tf.Tensor, label: tf.Tensor):
        inputs = {"image_a": pixels[:, 0], "image_b": pixels[:, 1]}
        return inputs, {target: label for target in targets}

    stream = tf.data.Dataset.range(start_step * batch_size, np.iinfo(np.int64).max)
    stream = stream.batch(batch_size).map(to_indices, num_parallel_calls=tf.data.AUTOTUNE)
    return with_images(stream, images, assemble).prefetch(tf.data.AUTOTUNE)
