"""The JSON manifest that sits beside a dataset's TFRecord shards.

``manifest.json`` holds: ``format``, ``name``, ``source`` (where the images came
from), ``image_size`` ([height, width] when every image has that size, else
null), ``num_images``, ``num_identities``, ``identity_names`` (optional map from
identity number to the source's name) and ``splits``: for each split its shard
``files`` (relative names), ``file_records`` (records in each file),
``num_images``, ``num_identities`` and sorted
``identities``.
"""

import json
from pathlib import Path
from typing import Any

from tfreid.errors import DataError

MANIFEST_NAME = "manifest.json"
FORMAT = "tfreid-tfrecord/1"


def read_manifest(dataset_dir: str | Path) -> dict[str, Any]:
    """Read and check a dataset's manifest; DataError names what is wrong."""
    dataset_dir = Path(dataset_dir)
    path = dataset_dir / MANIFEST_NAME
    if not dataset_dir.is_dir():
        raise DataError(f"dataset directory {dataset_dir} does not exist")
    if not path.is_file():
        raise DataError(f"{dataset_dir} has no {MANIFEST_NAME}: not a tfreid dataset")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{path} is not a {FORMAT} manifest")
    check_splits(manifest.get("splits"), path)
    for split, info in manifest["splits"].items():
        missing = [f for f in info["files"] if not (dataset_dir / f).is_file()]
        if missing:
            raise DataError(f"split {split!r} of {dataset_dir} lacks shard {missing[0]}")
    return manifest


SPLIT_FIELDS = {"files": list, "file_records": list, "num_images": int, "num_identities": int,
                "identities": list}


def check_splits(splits: Any, path: Path) -> None:
    """DataError unless ``splits`` maps split names to entries with every field of its kind."""
    if not isinstance(splits, dict) or not splits:
        raise DataError(f"{path}: 'splits' must map split names to their shards; write the "
                        "dataset again")
    for split, info in splits.items():
        if not isinstance(info, dict):
            raise DataError(f"{path}: split {split!r} is not an object; write the dataset again")
        for field, kind in SPLIT_FIELDS.items():
            if not isinstance(info.get(field), kind) or isinstance(info.get(field), bool):
                raise DataError(f"{path}: split {split!r} lacks {field} (a {kind.__name__}); "
                                "write the dataset again")
        if len(info["file_records"]) != len(info["files"]) \
                or sum(info["file_records"]) != info["num_images"]:
            raise DataError(f"{path}: split {split!r} has inconsistent file_records; write "
                            "the dataset again")


def split_info(manifest: dict[str, Any], split: str) -> dict[str, Any]:
    """The manifest entry of one split, or DataError naming the splits there are."""
    splits = manifest["splits"]
    if split not in splits:
        raise DataError(f"dataset {manifest['name']!r} has no split {split!r} ({sorted(splits)})")
    if splits[split]["num_images"] == 0:
        raise DataError(f"split {split!r} of dataset {manifest['name']!r} is empty")
    return splits[split]


def write_manifest(dataset_dir: Path, manifest: dict[str, Any]) -> None:
    (dataset_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
