"""Datasets as TFRecord shards: schema, writing, reading, splits, pairs, importers."""

from tfreid.data.default import ensure_default_dataset, make_surfaces
from tfreid.data.manifest import read_manifest
from tfreid.data.pairs import pair_dataset
from tfreid.data.reader import SplitArrays, load_split, split_dataset
from tfreid.data.schema import ImageRecord
from tfreid.data.writer import write_dataset

__all__ = [
    "ImageRecord", "SplitArrays", "ensure_default_dataset", "load_split", "make_surfaces",
    "pair_dataset", "read_manifest", "split_dataset", "write_dataset",
]
