"""Streamed input: records found by offset, read by index, the same batches as in memory."""

import os

import numpy as np
import pytest

from tests.data.test_tfrecords import make_records
from tfreid.backend import tf
from tfreid.data import (
    anchor_positive_dataset,
    load_split,
    pair_dataset,
    pk_dataset,
    random_triplets,
    stream_split,
    triplet_dataset,
    write_dataset,
)
from tfreid.data.images import resize_images
from tfreid.data.input_mode import choose_input, decoded_bytes
from tfreid.data.input_shard import input_shard
from tfreid.data.pipeline_options import steady_stream
from tfreid.data.record_images import RecordImages
from tfreid.data.record_index import index_split
from tfreid.data.splits import concatenate
from tfreid.errors import ConfigError, DataError

pytestmark = pytest.mark.numeric  # streamed batches against in-memory ones, exactly


@pytest.fixture(scope="module")
def both(tiny_dataset):
    """The tiny surface set's training split in memory and streamed, resized 96 -> 40 px."""
    return load_split(tiny_dataset, "train", (40, 40)), stream_split(tiny_dataset, "train",
                                                                       (40, 40))


def assert_same_batches(first, second, count=3):
    for a, b in zip(first.take(count), second.take(count), strict=True):
        tf.nest.map_structure(lambda x, y: np.testing.assert_array_equal(x.numpy(), y.numpy()),
                              a, b)


def test_offsets_point_at_the_records_tfrecord_reads(tmp_path):
    _, records = make_records(7)
    write_dataset(tmp_path / "ds", {"train": records}, name="ds", source="t", images_per_shard=3)
    table, labels = index_split(tmp_path / "ds", "train")
    expected = [bytes(r.numpy()) for r in tf.data.TFRecordDataset(list(table.paths))]
    found = []
    for shard, offset, length in zip(table.shard, table.offset, table.length, strict=True):
        with open(table.paths[shard], "rb") as file:
            file.seek(offset)
            found.append(file.read(length))
    assert found == expected and list(table.shard) == [0, 0, 0, 1, 1, 1, 2]
    np.testing.assert_array_equal(labels["identity"], [r.identity for r in records])
    np.testing.assert_array_equal(labels["camera"], [r.camera for r in records])


def test_a_streamed_split_holds_the_labels_and_images_of_the_loaded_one(both):
    memory, streamed = both
    assert isinstance(streamed.images, RecordImages) and streamed.images.shape == (40, 40, 40, 3)
    for field in ("identities", "cameras", "filenames"):
        np.testing.assert_array_equal(getattr(memory, field), getattr(streamed, field))
    np.testing.assert_array_equal(np.concatenate(list(streamed.images.batches(16))),
                                  memory.images)
    picked = streamed.subset(np.array([5, 2, 30]))
    np.testing.assert_array_equal(np.concatenate(list(picked.images.batches(2))),
                                  memory.images[[5, 2, 30]])
    joined = concatenate([picked, streamed.subset(np.arange(3))])
    np.testing.assert_array_equal(np.concatenate(list(joined.images.batches(4))),
                                  memory.images[[5, 2, 30, 0, 1, 2]])


def test_every_sampler_gives_the_same_batches_streamed_and_in_memory(both):
    memory, streamed = both
    triplets = random_triplets(memory.identities, 50, 0)
    for make in (
        lambda s: pk_dataset(s.images, s.identities, 4, 3, seed=2, start_step=7),
        lambda s: triplet_dataset(s.images, triplets, 16, seed=1, start_epoch=2),
        lambda s: pair_dataset(s.images, s.identities, 8, seed=3),
        lambda s: anchor_positive_dataset(s.images, s.identities, "simclr", 8, seed=4,
                                          start_step=3),
    ):
        assert_same_batches(make(memory), make(streamed))


def test_a_truncated_shard_is_named_when_indexed_and_when_read(tmp_path):
    _, records = make_records(6)
    write_dataset(tmp_path / "ds", {"train": records}, name="ds", source="t", images_per_shard=3)
    shard = tmp_path / "ds/train-00001-of-00002.tfrecord"
    streamed = stream_split(tmp_path / "ds", "train", (8, 6))
    os.truncate(shard, shard.stat().st_size - 30)
    with pytest.raises(tf.errors.OpError, match="shorter than when it was indexed"):
        list(streamed.images.batches(6))
    with pytest.raises(DataError, match="train-00001-of-00002.tfrecord.*record 2 is cut off"):
        stream_split(tmp_path / "ds", "train", (8, 6))


def test_auto_streams_when_the_images_would_take_over_a_quarter_of_the_memory(tiny_dataset):
    size = decoded_bytes(tiny_dataset, (40, 40))
    assert size == 14 * 4 * 40 * 40 * 3  # every image of every split, decoded
    assert choose_input("auto", tiny_dataset, (40, 40), budget=4 * size) == "memory"
    assert choose_input("auto", tiny_dataset, (40, 40), budget=4 * size - 1) == "stream"
    assert choose_input("stream", tiny_dataset, (40, 40), budget=10**12) == "stream"
    assert choose_input("memory", tiny_dataset, (40, 40), budget=1) == "memory"
    with pytest.raises(ConfigError, match="unknown input 'disk'"):
        choose_input("disk", tiny_dataset, (40, 40))


def test_resizing_to_the_same_size_returns_the_pixels_on_both_paths():
    images = tf.constant(np.random.default_rng(0).integers(0, 256, (3, 9, 7, 3), np.uint8))
    assert resize_images(images, (9, 7)) is images
    dynamic = tf.function(lambda x: resize_images(x, (9, 7)),
                          input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8)])
    np.testing.assert_array_equal(dynamic(images), images)
    smaller = tf.function(lambda x: resize_images(x, (5, 4)),
                          input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8)])
    np.testing.assert_array_equal(smaller(images), resize_images(images, (5, 4)))
    assert smaller(images).shape == (3, 5, 4, 3)


def test_training_streams_run_without_the_autotuner():
    dataset = steady_stream(tf.data.Dataset.range(3))
    assert dataset.options().autotune.enabled is False and list(dataset.as_numpy_iterator()) \
        == [0, 1, 2]


def test_a_worker_reads_only_its_rows_of_every_global_batch(both):
    memory, streamed = both
    whole = next(iter(pk_dataset(memory.images, memory.identities, 4, 3, seed=2)))
    parts = []
    for worker in range(2):
        with input_shard(worker, 2):
            parts.append(next(iter(pk_dataset(streamed.images, streamed.identities, 4, 3,
                                              seed=2))))
    for column in range(2):
        np.testing.assert_array_equal(np.concatenate([p[column] for p in parts]), whole[column])
    anchors, positives = np.split(next(iter(anchor_positive_dataset(
        memory.images, memory.identities, "simclr", 8, seed=4)))[0], 2)
    with input_shard(1, 2):
        mine = next(iter(anchor_positive_dataset(streamed.images, streamed.identities, "simclr",
                                                 8, seed=4)))[0]
    np.testing.assert_array_equal(mine, np.concatenate([anchors[4:], positives[4:]]))
    with pytest.raises(ConfigError, match="input shard 2 of 2 does not exist"), \
            input_shard(2, 2):
        pass


def test_no_shard_file_stays_open_after_a_read(tiny_dataset):
    def open_shards():
        return [fd for fd in os.listdir("/proc/self/fd")
                if os.path.exists(f"/proc/self/fd/{fd}")
                and os.readlink(f"/proc/self/fd/{fd}").endswith(".tfrecord")]

    images = stream_split(tiny_dataset, "gallery", (40, 40)).images
    assert len(list(images.batches(4))) == 3 and open_shards() == []
