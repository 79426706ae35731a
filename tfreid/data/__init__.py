"""Datasets as TFRecord shards: schema, writing, reading, splits, samplers, importers.

Names load on first use, so the TensorFlow-free parts (``tfreid.data.names``,
the importers' options) import quickly for command lines.
"""

import importlib

_EXPORTS = {
    "ImageRecord": "tfreid.data.records", "ImportedDataset": "tfreid.data.imported",
    "SplitArrays": "tfreid.data.split", "load_split": "tfreid.data.reader",
    "split_dataset": "tfreid.data.reader", "read_manifest": "tfreid.data.manifest",
    "write_dataset": "tfreid.data.writer", "ensure_default_dataset": "tfreid.data.default",
    "make_surfaces": "tfreid.data.default", "pair_dataset": "tfreid.data.pairs",
    "pk_dataset": "tfreid.data.triplets", "random_triplets": "tfreid.data.triplets",
    "triplet_dataset": "tfreid.data.triplets", "anchor_positive_dataset": "tfreid.data.views",
    "augmentation": "tfreid.data.augment", "AUGMENTATIONS": "tfreid.data.names",
    "RecordImages": "tfreid.data.record_images", "stream_split": "tfreid.data.record_images",
    "with_images": "tfreid.data.record_images", "choose_input": "tfreid.data.input_mode",
    "Dataset": "tfreid.data.dataset", "Split": "tfreid.data.split",
    "SplitImages": "tfreid.data.split_images", "ArrayImages": "tfreid.data.split_images",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfreid.data' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
