"""Images by index, from memory or straight from TFRecord shards (streamed input).

Every tfreid sampler draws *indices* (P x K batches, triplets, pairs, anchor /
positive views) and ``with_images`` turns them into pixels: a ``tf.gather`` from
an (N, H, W, 3) array held in memory, or, for ``RecordImages``, a read of those
records from disk (``tfreid.data.record_index`` knows where each one lies), then
parse, decode and resize as ``load_split`` does. The same seed gives the same
indices either way, so streamed and in-memory training see the same batches;
only the images of the batches in flight are ever in memory when streaming.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.data.images import decode_image, resize_images
from tfreid.data.input_shard import own_rows, sharded
from tfreid.data.manifest import read_manifest, split_info
from tfreid.data.reader import decode_filenames
from tfreid.data.record_index import RecordTable, index_records
from tfreid.data.schema import FEATURES
from tfreid.data.split import Split
from tfreid.data.split_images import as_images
from tfreid.errors import DataError

AUTOTUNE = tf.data.AUTOTUNE
Assemble = Callable[[tf.Tensor, tf.Tensor, Any], Any]


class ShardReader:
    """Reads records by index with ``os.pread``, opening each shard a batch needs once and
    closing it before the next (one open file per call, whatever the number of shards)."""

    def __init__(self, table: RecordTable):
        self.table = table

    def __call__(self, index: tf.Tensor) -> np.ndarray:
        rows, table = index.numpy(), self.table
        shards = table.shard[rows]
        records = np.empty(len(rows), dtype=object)
        for shard in np.unique(shards).tolist():
            path, where = table.paths[shard], np.flatnonzero(shards == shard)
            descriptor = os.open(path, os.O_RDONLY)
            try:
                for position, offset, length in zip(where.tolist(),
                                                     table.offset[rows[where]].tolist(),
                                                     table.length[rows[where]].tolist(),
                                                     strict=True):
                    records[position] = os.pread(descriptor, length, offset)
                    if len(records[position]) != length:
                        raise DataError(f"TFRecord shard {path} is shorter than when it was "
                                        "indexed (changed during training?)")
            finally:
                os.close(descriptor)
        return records


class RecordImages:
    """The images of a split, read from its shards when a batch needs them.

    The ``SplitImages`` (``tfreid.data.split_images``) of a streamed ``Split``: it
    has ``len``, ``shape`` and ``dtype``, and indexing it (an index array, mask or
    slice) gives the RecordImages of those entries, not pixels. ``batches``
    gives the pixels in order (for embedding a split), ``rows`` those of some
    rows; samplers read them through ``with_images`` (``gather``). A batch's
    records are read in one Python call (``os.pread`` at the offsets of the
    record table: ~5 us a record, a tf.data dataset per record would cost ~200
    us), then parsed, decoded and resized by TensorFlow ops, several batches in
    parallel.
    """

    dtype = np.dtype(np.uint8)
    in_memory = False
    compiles_in_xla = False  # the reads run in a tf.py_function

    def __init__(self, table: RecordTable, image_size: tuple[int, int]):
        self.table, self.image_size = table, tuple(image_size)
        self.reader = ShardReader(table)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self), *self.image_size, 3)

    def __getitem__(self, index: Any) -> "RecordImages":
        rows = np.arange(len(self))[index]
        return RecordImages(self.table.subset(np.atleast_1d(rows)), self.image_size)

    @staticmethod
    def concatenate(parts: list["RecordImages"]) -> "RecordImages":
        return RecordImages(RecordTable.concatenate([p.table for p in parts]),
                            parts[0].image_size)

    def _decode(self, encoded: tf.Tensor) -> tf.Tensor:
        return resize_images(decode_image(encoded), self.image_size)

    def gather(self, index: tf.Tensor) -> tf.Tensor:
        """The images at ``index`` (any int64 tensor), shaped index.shape + (H, W, 3)."""
        serialized = tf.py_function(self.reader, [tf.reshape(index, [-1])], tf.string)
        serialized.set_shape([None])
        encoded = tf.io.parse_example(serialized, {"image": FEATURES["image"]})["image"]
        images = tf.map_fn(self._decode, encoded, fn_output_signature=tf.uint8)
        images = tf.reshape(images, tf.concat([tf.shape(index), [*self.image_size, 3]], 0))
        images.set_shape(index.shape.concatenate([*self.image_size, 3]))
        return images

    def batches(self, batch_size: int) -> Iterator[np.ndarray]:
        """The images in order, ``batch_size`` at a time, as uint8 arrays."""
        rows = tf.data.Dataset.range(len(self)).batch(batch_size)
        batches = with_images(rows.map(lambda index: (index, ())), self,
                              lambda images, index, extras: images)
        return batches.prefetch(AUTOTUNE).as_numpy_iterator()

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The pixels at ``rows``, read from their shards, (len(rows), H, W, 3) uint8."""
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return np.zeros((0, *self.image_size, 3), np.uint8)
        return np.concatenate(list(self[rows].batches(256)))


def with_images(dataset: tf.data.Dataset, images: Any, assemble: Assemble) -> tf.data.Dataset:
    """Elements ``(index, extras)`` -> ``assemble(images[index], index, extras)``.

    ``images`` is ``SplitImages`` (``ArrayImages`` gathered in memory,
    ``RecordImages`` read from disk) or an (N, H, W, 3) array; ``index`` any int64
    tensor whose first dimension is the batch, as is that of every tensor in
    ``extras``. Built inside ``tfreid.data.input_shard.input_shard``, only this
    worker's rows are read.
    """
    if sharded():
        dataset = dataset.map(own_rows)
    gather = as_images(images).gather
    return dataset.map(lambda index, extras: assemble(gather(index), index, extras),
                       num_parallel_calls=AUTOTUNE)


def records_split(dataset_dir: str | Path, info: dict[str, Any],
                  image_size: tuple[int, int]) -> Split:
    """The split whose manifest entry is ``info``, its images left on disk
    (``RecordImages``)."""
    table, labels = index_records(dataset_dir, info)
    return Split(RecordImages(table, image_size), labels["identity"], labels["camera"],
                 decode_filenames(labels["filename"]))


def stream_split(dataset_dir: str | Path, split: str, image_size: tuple[int, int]) -> Split:
    """A split whose images stay on disk (``RecordImages``); ``tfreid.data.Dataset(
    dataset_dir).split(split, image_size, input="stream")`` is the same for a dataset
    already open."""
    return records_split(dataset_dir, split_info(read_manifest(dataset_dir), split),
                         image_size)
