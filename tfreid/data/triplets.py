"""Triplet data in tf.data: fixed random triplets (paper 000) and P x K batches.

* ``random_triplets``: ``count`` (anchor, positive, negative) index triplets drawn
  once, seeded, as psorus/cf's ``gen_triplets``: anchor identity uniform over
  identities with two or more images, anchor and positive two distinct images
  of it, negative any image of another identity.
* ``pk_dataset``: endless batches of P identities x K images each (Hermans et
  al., 2017), for online mining. Identities are drawn without replacement; an
  identity's K images too when it has at least K, else they repeat in turn.
  Draws come from ``tf.random.stateless_uniform`` keyed by (seed, batch).
"""

import numpy as np

from tfreid.backend import tf
from tfreid.data.pairs import check_pairable, index_tables
from tfreid.data.record_images import with_images
from tfreid.errors import DataError


def random_triplets(identities: np.ndarray, count: int, seed: int) -> np.ndarray:
    """(count, 3) indices of anchor, positive and negative images."""
    ids, counts = np.unique(identities, return_counts=True)
    anchors_from = ids[counts >= 2]
    if len(anchors_from) == 0 or len(ids) < 2:
        raise DataError("triplets need an identity with two images and at least two identities")
    rng = np.random.default_rng([seed, 23])
    members = {i: np.flatnonzero(identities == i) for i in ids}
    triplets = np.empty((count, 3), dtype=np.int64)
    for row in range(count):
        identity = rng.choice(anchors_from)
        other = rng.choice(ids[ids != identity])
        triplets[row, :2] = rng.choice(members[identity], 2, replace=False)
        triplets[row, 2] = rng.choice(members[other])
    return triplets


def triplet_dataset(images: np.ndarray, triplets: np.ndarray, batch_size: int, seed: int,
                    shuffle: bool = True, start_epoch: int = 0) -> tf.data.Dataset:
    """Endless batches ({"anchor", "positive", "negative"}, dummy target) of fixed triplets.

    Each epoch passes over all triplets in ceil(count / batch_size) batches (the
    last may be smaller), in an order drawn from (``seed``, epoch) when
    ``shuffle``, so epoch e is the same whether or not a run was resumed; the
    stream starts at epoch ``start_epoch``.
    """
    table = tf.constant(triplets)
    count = len(triplets)

    def epoch_batches(epoch: tf.Tensor) -> tf.data.Dataset:
        order = tf.range(count)
        if shuffle:
            keys = tf.random.stateless_uniform([count], tf.stack([tf.constant(seed, tf.int64),
                                                                  epoch]))
            order = tf.argsort(keys)
        return tf.data.Dataset.from_tensor_slices(tf.gather(table, order)).batch(batch_size)

    def assemble(pixels: tf.Tensor, batch: tf.Tensor, extras):
        inputs = {name: pixels[:, column]
                  for column, name in enumerate(("anchor", "positive", "negative"))}
        return inputs, tf.zeros([tf.shape(batch)[0]])

    epochs = tf.data.Dataset.range(start_epoch, np.iinfo(np.int64).max)
    batches = epochs.flat_map(epoch_batches).map(lambda batch: (batch, ()))
    return with_images(batches, images, assemble).prefetch(tf.data.AUTOTUNE)


def pk_dataset(images: np.ndarray, identities: np.ndarray, p: int, k: int,
               seed: int, start_step: int = 0) -> tf.data.Dataset:
    """Endless batches (images ``(P*K, H, W, 3)``, identities ``(P*K,)``), from batch
    ``start_step``."""
    check_pairable(identities, "train")
    num_ids = len(np.unique(identities))
    if not 2 <= p <= num_ids or k < 2:
        raise DataError(f"P x K batches need 2 <= P <= {num_ids} identities and K >= 2, "
                        f"got P={p}, K={k}")
    tables = index_tables(np.asarray(identities))
    max_count = int(np.bincount(np.unique(identities, return_inverse=True)[1]).max())
    labels = tf.constant(identities)

    def to_batch(step: tf.Tensor):
        seed_pair = tf.stack([tf.constant(seed, tf.int64), step])
        class_keys = tf.random.stateless_uniform([tf.size(tables["counts"])], seed_pair)
        classes = tf.argsort(class_keys)[:p]
        counts = tf.gather(tables["counts"], classes)
        keys = tf.random.stateless_uniform([p, max_count], seed_pair + 1)
        keys = tf.where(tf.range(max_count, dtype=tf.int64)[None, :] < counts[:, None], keys, 2.0)
        slots = tf.range(k, dtype=tf.int64)[None, :] % counts[:, None]
        offsets = tf.gather(tf.cast(tf.argsort(keys, axis=1), tf.int64), slots, batch_dims=1)
        index = tf.gather(tables["order"], tf.gather(tables["starts"], classes)[:, None] + offsets)
        return tf.reshape(index, [-1]), ()

    steps = tf.data.Dataset.range(start_step, np.iinfo(np.int64).max)
    batches = steps.map(to_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return with_images(batches, images, lambda pixels, index, extras: (
        pixels, tf.gather(labels, index))).prefetch(tf.data.AUTOTUNE)
