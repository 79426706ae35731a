"""Sharded TFRecord writing, complete or not at all."""

import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from tfreid.backend import tf
from tfreid.data.manifest import FORMAT, write_manifest
from tfreid.data.schema import ImageRecord, serialize_record
from tfreid.errors import ConfigError, DataError, naming_a_full_disk
from tfreid.io.atomic import atomic_directory

ProgressFn = Callable[[int], None]


def _write_split(
    directory: Path, split: str, records: Sequence[ImageRecord], images_per_shard: int,
    progress: ProgressFn | None,
) -> dict[str, Any]:
    num_shards = max(1, math.ceil(len(records) / images_per_shard))
    files, counts = [], []
    for shard in range(num_shards):
        name = f"{split}-{shard:05d}-of-{num_shards:05d}.tfrecord"
        chunk = records[shard * images_per_shard:(shard + 1) * images_per_shard]
        with tf.io.TFRecordWriter(str(directory / (name + ".tmp"))) as writer:
            for record in chunk:
                writer.write(serialize_record(record))
                if progress is not None:
                    progress(1)
        os.replace(directory / (name + ".tmp"), directory / name)
        files.append(name)
        counts.append(len(chunk))
    identities = sorted({r.identity for r in records})
    return {"files": files, "file_records": counts, "num_images": len(records),
            "num_identities": len(identities), "identities": identities}


def _common_size(splits: dict[str, Sequence[ImageRecord]]) -> list[int] | None:
    sizes = {(r.height, r.width) for records in splits.values() for r in records}
    return list(sizes.pop()) if len(sizes) == 1 else None


def write_dataset(
    out_dir: str | os.PathLike,
    splits: dict[str, Iterable[ImageRecord]],
    name: str,
    source: str,
    images_per_shard: int = 512,
    identity_names: dict[int, str] | None = None,
    overwrite: bool = False,
    progress: ProgressFn | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``splits`` as TFRecord shards plus ``manifest.json`` into ``out_dir``.

    ``extra`` adds entries to the manifest (``revisited`` ground truth, say).

    Everything is written into a staging directory beside ``out_dir`` and moved
    into place only when every shard and the manifest are complete, so an
    interrupted or failed write leaves no partial dataset under ``out_dir``; a full
    disk is an ``OutputError`` naming the dataset and the shard. Returns the manifest.
    """
    splits = {split: list(records) for split, records in splits.items()}
    if not any(splits.values()):
        raise DataError(f"dataset {name!r} has no images to write")
    if isinstance(images_per_shard, bool) or not isinstance(images_per_shard, int) \
            or images_per_shard < 1:
        raise ConfigError(f"images per shard must be a whole number >= 1, got {images_per_shard}")
    with naming_a_full_disk(f"dataset {out_dir}"), \
            atomic_directory(out_dir, overwrite=overwrite, kind="dataset") as staging:
        manifest: dict[str, Any] = {
            "format": FORMAT, "name": name, "source": source,
            "image_size": _common_size(splits),
            "num_images": sum(len(r) for r in splits.values()),
            "num_identities": len({r.identity for rs in splits.values() for r in rs}),
            "splits": {},
        }
        if identity_names:
            manifest["identity_names"] = {str(k): v for k, v in sorted(identity_names.items())}
        manifest.update(extra or {})
        for split, records in splits.items():
            manifest["splits"][split] = _write_split(
                staging, split, records, images_per_shard, progress)
        write_manifest(staging, manifest)
    return manifest
