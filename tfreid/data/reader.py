"""tf.data reading of tfreid TFRecord datasets.

Pipeline: list shards -> TFRecordDataset -> parse (schema.FEATURES) -> decode
JPEG/PNG -> resize to ``image_size`` (uint8) -> cache -> prefetch, with
AUTOTUNE parallelism. Images stay uint8: scaling to [0, 1] is the first layer
of every tfreid encoder, so exported models take raw uint8 pixels too.
"""

import os
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.data.images import decode_image, resize_images
from tfreid.data.manifest import read_manifest, split_info
from tfreid.data.schema import parse_record
from tfreid.data.split import Split, SplitArrays  # noqa: F401  (SplitArrays: the old name)
from tfreid.errors import DataError, one_line

AUTOTUNE = tf.data.AUTOTUNE


def _records_to_examples(files: list[str], image_size: tuple[int, int]) -> tf.data.Dataset:
    def to_example(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
        record = parse_record(serialized)
        return {
            "image": resize_images(decode_image(record["image"]), image_size),
            "identity": record["identity"],
            "camera": record["camera"],
            "filename": record["filename"],
        }

    parallel = AUTOTUNE if len(files) > 1 else None
    records = tf.data.TFRecordDataset(files, num_parallel_reads=parallel)
    return records.map(to_example, num_parallel_calls=AUTOTUNE)


def split_dataset(
    dataset_dir: str | Path, split: str, image_size: tuple[int, int], cache: bool = True
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of dicts (image uint8 (H, W, 3), identity, camera, filename)."""
    dataset_dir = Path(dataset_dir)
    info = split_info(read_manifest(dataset_dir), split)
    files = [str(dataset_dir / name) for name in info["files"]]
    dataset = _records_to_examples(files, tuple(image_size))
    if cache:
        dataset = dataset.cache()
    return dataset.prefetch(AUTOTUNE)


def _undecodable_record(path: Path) -> str:
    """Which record of a shard fails to parse or decode, and why (the slow path of errors)."""
    for index, serialized in enumerate(tf.data.TFRecordDataset([str(path)])):
        try:
            record = parse_record(serialized)
            name = os.fsdecode(record["filename"].numpy())
        except tf.errors.OpError as error:
            return f"record {index} does not parse: {first_line(error)}"
        try:
            decode_image(record["image"])
        except tf.errors.OpError as error:
            return f"image {name} (record {index}) does not decode: {first_line(error)}"
    return "a record is cut off or damaged"


def first_line(error: tf.errors.OpError) -> str:
    """The message of a TensorFlow error without its graph-node fragments."""
    return one_line(str(error.message))


def _read_shard(path: Path, image_size: tuple[int, int], expected: int) -> list[dict]:
    """Decoded batches of one shard; DataError if it is corrupt or short of records.

    TFRecordDataset stops silently at a record cut off at the end of a file, so
    the count is checked against the manifest's ``file_records``. An image that
    does not decode is named.
    """
    batches = []
    try:
        for batch in _records_to_examples([str(path)], image_size).batch(256).as_numpy_iterator():
            batches.append(batch)
    except tf.errors.DataLossError as error:
        raise DataError(f"corrupt TFRecord shard {path}: {first_line(error)}") from None
    except tf.errors.InvalidArgumentError:
        raise DataError(f"corrupt TFRecord shard {path}: {_undecodable_record(path)}") from None
    found = sum(len(batch["identity"]) for batch in batches)
    if found != expected:
        raise DataError(f"corrupt TFRecord shard {path}: {found} of {expected} records "
                        "readable (truncated file?)")
    return batches


def decode_filenames(raw: np.ndarray) -> np.ndarray:
    """File names stored as bytes -> str, any name a file system allows (``os.fsdecode``)."""
    return np.array([os.fsdecode(bytes(name)) for name in raw], dtype=str)


def decode_split(dataset_dir: str | Path, split: str, info: dict[str, Any],
                 image_size: tuple[int, int]) -> Split:
    """Read a whole split into memory, checking every record on the way; ``info`` is the
    split's manifest entry (``tfreid.data.manifest.split_info``).

    A truncated or corrupted shard, or an image that does not decode, raises a
    DataError naming the shard instead of failing later inside training.
    """
    dataset_dir = Path(dataset_dir)
    batches = []
    for name, expected in zip(info["files"], info["file_records"], strict=True):
        batches.extend(_read_shard(dataset_dir / name, tuple(image_size), expected))
    if not batches:
        raise DataError(f"split {split!r} of {dataset_dir} holds no readable record")
    return Split(
        images=np.concatenate([b["image"] for b in batches]),
        identities=np.concatenate([b["identity"] for b in batches]),
        cameras=np.concatenate([b["camera"] for b in batches]),
        filenames=decode_filenames(np.concatenate([b["filename"] for b in batches])),
    )


def load_split(dataset_dir: str | Path, split: str, image_size: tuple[int, int]) -> Split:
    """A split read into memory (``decode_split``); ``tfreid.data.Dataset(dataset_dir)
    .split(split, image_size, input="memory")`` is the same for a dataset already open."""
    return decode_split(dataset_dir, split, split_info(read_manifest(dataset_dir), split),
                        image_size)
