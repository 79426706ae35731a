"""Where every record of a split lies in its TFRecord shards, found without decoding images.

A TFRecord file is a sequence of records, each laid out as

    length (uint64, little-endian) | CRC of length (4 bytes) | data (length bytes) | CRC (4)

so record r's serialised ``tf.train.Example`` starts ``12`` bytes after its own
start. ``scan_shard`` walks these headers (seeking over the data), which gives a
``RecordTable``: for each record its shard, byte offset and length. With it,
``tfreid.data.record_images`` reads any record by index straight from disk, so a
sampler can draw record indices as it draws array indices in memory.
"""

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.data.manifest import read_manifest, split_info
from tfreid.errors import DataError

HEADER_BYTES, FOOTER_BYTES = 12, 4  # length + its CRC before the data, the data's CRC after
LABEL_FEATURES = {
    "identity": tf.io.FixedLenFeature([], tf.int64),
    "camera": tf.io.FixedLenFeature([], tf.int64),
    "filename": tf.io.FixedLenFeature([], tf.string),
}


@dataclass(frozen=True)
class RecordTable:
    """Shard paths and sizes, and for each record its shard, data offset and data length."""

    paths: tuple[str, ...]
    sizes: tuple[int, ...]
    shard: np.ndarray
    offset: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.shard)

    def subset(self, index: np.ndarray) -> "RecordTable":
        """The records picked by an index array or boolean mask, in that order."""
        return RecordTable(self.paths, self.sizes, self.shard[index], self.offset[index],
                           self.length[index])

    @staticmethod
    def concatenate(tables: list["RecordTable"]) -> "RecordTable":
        """One table of the records of ``tables`` in turn (shards listed once each)."""
        paths = tuple(dict.fromkeys(p for t in tables for p in t.paths))
        sizes = dict(p for t in tables for p in zip(t.paths, t.sizes, strict=True))
        shard = [np.array([paths.index(p) for p in t.paths], np.int64)[t.shard] for t in tables]
        return RecordTable(paths, tuple(sizes[p] for p in paths), np.concatenate(shard),
                           np.concatenate([t.offset for t in tables]),
                           np.concatenate([t.length for t in tables]))


def scan_shard(path: Path, expected: int) -> tuple[np.ndarray, np.ndarray]:
    """(data offsets, data lengths) of the records of one shard; DataError if the headers
    run past the end of the file or the count differs from the manifest's ``expected``."""
    size = path.stat().st_size
    offsets, lengths = np.empty(expected, np.int64), np.empty(expected, np.int64)
    count, position = 0, 0
    with open(path, "rb") as file:
        while position < size:
            header = file.read(HEADER_BYTES)
            (length,) = struct.unpack("<Q", header[:8]) if len(header) == HEADER_BYTES else (-1,)
            end = position + HEADER_BYTES + length + FOOTER_BYTES
            if length < 0 or end > size or count == expected:
                raise DataError(f"corrupt TFRecord shard {path}: record {count} is cut off or "
                                f"the shard holds more than the manifest's {expected} records")
            offsets[count], lengths[count] = position + HEADER_BYTES, length
            file.seek(end)
            count, position = count + 1, end
    if count != expected:
        raise DataError(f"corrupt TFRecord shard {path}: {count} of {expected} records "
                        "found (truncated file?)")
    return offsets, lengths


def read_labels(paths: list[str]) -> dict[str, np.ndarray]:
    """identity, camera and filename (bytes) of every record of ``paths``, in file order;
    the images are read past, never decoded."""
    records = tf.data.TFRecordDataset(paths).batch(4096)
    parsed = records.map(lambda batch: tf.io.parse_example(batch, LABEL_FEATURES))
    labels = {key: [] for key in LABEL_FEATURES}
    try:
        for batch in parsed.as_numpy_iterator():
            for key in labels:
                labels[key].append(batch[key])
    except tf.errors.OpError as error:
        raise DataError(f"a shard of {os.path.dirname(paths[0])} does not parse: "
                        f"{str(error.message).splitlines()[0]}") from None
    return {key: np.concatenate(parts) for key, parts in labels.items()}


def index_records(dataset_dir: str | Path,
                  info: dict[str, Any]) -> tuple[RecordTable, dict[str, np.ndarray]]:
    """The RecordTable of the split whose manifest entry is ``info`` and its labels
    (identity, camera, filename bytes)."""
    dataset_dir = Path(dataset_dir)
    paths = [dataset_dir / name for name in info["files"]]
    scans = [scan_shard(path, expected)
             for path, expected in zip(paths, info["file_records"], strict=True)]
    shard = np.concatenate([np.full(len(offsets), number, np.int64)
                            for number, (offsets, _) in enumerate(scans)])
    table = RecordTable(tuple(map(str, paths)), tuple(p.stat().st_size for p in paths), shard,
                        np.concatenate([s[0] for s in scans]),
                        np.concatenate([s[1] for s in scans]))
    return table, read_labels([str(p) for p in paths])


def index_split(dataset_dir: str | Path, split: str) -> tuple[RecordTable, dict[str, np.ndarray]]:
    """The RecordTable of a split and its labels (identity, camera, filename bytes)."""
    return index_records(dataset_dir, split_info(read_manifest(dataset_dir), split))
