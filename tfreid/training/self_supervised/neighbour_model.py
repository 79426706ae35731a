"""Batches of images and their nearest neighbours, drawn inside the model's ``train_step``.

STML and InsCLR build each batch from a few anchors and their nearest
neighbours in the current embedding; the neighbours change as the model
learns, so the table of neighbours is refreshed at set epochs. The model holds
the training images (``SplitImages``: random access in memory, or read from the
shards inside the step, which XLA cannot compile), the table as a variable (checkpointed
with the model, so a resumed run has the table it had) and draws each step's
anchors from (seed, step): the same batches with or without a resume, and no
label anywhere. The dataset ``fit`` reads only counts steps: each element
holds the step number once per replica, so that under a ``tf.distribute``
strategy every replica gets it, builds the same global batch of indices and
embeds its own contiguous share of the rows (``replica_rows``); the losses then
see every replica's rows (``cross_replica_concat``).
"""


import numpy as np

from tfreid.backend import check_tf_keras, keras, tf
from tfreid.callbacks.callback import Callback
from tfreid.data.augment import augmentation
from tfreid.data.input_shard import shard_rows_per_batch
from tfreid.data.split_images import SplitImages, as_images
from tfreid.distribute.cross_replica import replica_rows
from tfreid.errors import ConfigError


def check_streamable(images, config) -> None:
    """ConfigError for images whose reads XLA cannot compile (streamed ones) under XLA:
    they run inside ``train_step``."""
    if not as_images(images).compiles_in_xla and config.jit_compile():
        raise ConfigError(f"method {config.method!r} reads streamed images inside its "
                          "training step, which XLA cannot compile: add --no-xla, or "
                          "--input memory")


def step_stream(start_step: int) -> tf.data.Dataset:
    """The endless stream of global step numbers ``fit`` feeds these models, from
    ``start_step`` on (shape (replicas,), int64: one per replica of the current
    strategy; one per replica of this worker when built for one worker's input)."""
    replicas = shard_rows_per_batch(tf.distribute.get_strategy().num_replicas_in_sync)
    steps = tf.data.Dataset.range(start_step, np.iinfo(np.int64).max)
    return steps.map(lambda step: tf.fill([replicas], step))


class NeighbourBatchModel(keras.Model):
    """Base of the neighbour-batch models: images, a neighbour table, seeded sampling and
    augmented views. Subclasses define ``refresh(epoch)`` and ``train_step``."""

    def __init__(self, encoder: keras.Model, images: SplitImages | np.ndarray,
                 table_width: int, augment: str, seed: int, **kwargs):
        super().__init__(**kwargs)
        check_tf_keras(encoder, "the encoder")
        self.encoder = encoder
        self.images = as_images(images)
        self.count = len(images)
        self.seed = int(seed)
        self.transform = augmentation(augment)
        self.table = tf.Variable(np.zeros((len(images), table_width), np.int64),
                                 trainable=False, name="neighbour_table")

    def call(self, images: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        return self.encoder(images, training=training)

    def anchors(self, step: tf.Tensor, count: int) -> tf.Tensor:
        """``count`` distinct image indices drawn from (seed, step)."""
        keys = tf.random.stateless_uniform([self.count], tf.stack(
            [tf.constant(self.seed, tf.int64), tf.reshape(step, [])]))
        return tf.cast(tf.argsort(keys)[:count], tf.int64)

    def views(self, indices: tf.Tensor, step: tf.Tensor, view: int) -> tf.Tensor:
        """Augmented copies of the images ``indices``, seeded by (seed, step, view, row)."""
        rows = tf.range(tf.size(indices, out_type=tf.int64), dtype=tf.int64)
        return self.view_images(indices, step, tf.fill(tf.shape(rows), tf.constant(
            view, tf.int64)), rows)

    def view_images(self, indices: tf.Tensor, step: tf.Tensor, views: tf.Tensor,
                    rows: tf.Tensor) -> tf.Tensor:
        """Image ``indices[i]`` augmented as row ``rows[i]`` of view ``views[i]`` of the step
        (seeded by (seed, step, view, row), wherever the row is embedded)."""

        def one(view_row_image):
            view, row, image = view_row_image
            base = tf.stack([tf.constant(self.seed, tf.int64) + 7919 * (view + 1),
                             tf.reshape(step, [])])
            seed = tf.random.experimental.stateless_fold_in(base, row)
            return self.transform(image, seed)

        return tf.map_fn(one, (views, rows, self.read_images(indices)),
                         fn_output_signature=tf.uint8)

    def read_images(self, indices: tf.Tensor) -> tf.Tensor:
        """The training images at ``indices``, from memory or from the shards."""
        return self.images.gather(indices)

    def image_batches(self, batch_size: int = 256):
        """All training images in order, ``batch_size`` at a time."""
        return self.images.batches(batch_size)

    def replica_views(self, indices: tf.Tensor, step: tf.Tensor, views: int) -> tf.Tensor:
        """This replica's share of the rows [view 0 of ``indices``; view 1; ...] (all of them
        outside a strategy)."""
        per_view = int(indices.shape[0])
        start, count = replica_rows(views * per_view)
        rows = start + tf.range(count, dtype=tf.int64)
        return self.view_images(tf.gather(indices, rows % per_view), step, rows // per_view,
                                rows % per_view)

    def embed_all(self, model: keras.Model, batch_size: int = 256) -> np.ndarray:
        """``model``'s outputs for every training image, in inference mode."""
        return np.concatenate([np.asarray(model(batch, training=False), np.float32)
                               for batch in self.image_batches(batch_size)])


class RefreshNeighbours(Callback):
    """Calls ``model.refresh(epoch)`` at the start of every epoch (the model decides when
    its table changes)."""

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.model.refresh(epoch)
