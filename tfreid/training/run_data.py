"""The splits of a run: training, validation (held-out training identities) and test."""

import warnings
from pathlib import Path

import numpy as np

from tfreid.data.default import ensure_default_dataset
from tfreid.data.input_mode import choose_input
from tfreid.data.manifest import read_manifest
from tfreid.data.pairs import check_pairable
from tfreid.data.reader import SplitArrays, load_split
from tfreid.data.record_images import stream_split
from tfreid.data.revisited import revisited_masks
from tfreid.data.splits import (
    concatenate,
    hold_out_identities,
    identity_folds,
    query_gallery_split,
)


def drop_lonely_identities(data: SplitArrays, split: str) -> SplitArrays:
    """``data`` without identities that have one image, with a warning naming them."""
    ids, counts = np.unique(data.identities, return_counts=True)
    lonely = ids[counts < 2]
    if len(lonely):
        warnings.warn(f"skipping {len(lonely)} identities with one image in split {split!r} "
                      f"(first: {lonely[0]}): a positive needs two", stacklevel=2)
    return data.subset(~np.isin(data.identities, lonely))


def _split_reader(config, dataset_dir: Path):
    """``load_split`` or ``stream_split``, as ``config.input`` and the data's size say."""
    mode = choose_input(config.input, dataset_dir, config.image_shape())
    return stream_split if mode == "stream" else load_split


def load_reid_data(config, lonely: str = "error",
                   self_supervised: bool = False) -> dict[str, SplitArrays]:
    """train, validation, val_query, val_gallery, query and gallery splits of ``config``,
    and ``revisited`` easy / hard / junk masks of the test pairs (None if the dataset has
    no such ground truth).

    Training identities with one image are an error (``lonely="error"``: a
    pair needs two) or dropped with a warning (``"skip"``). A
    ``validation_fraction`` of the training identities is held out for
    validation and early stopping. ``config.input`` holds the images in memory or
    streams them from the shards (``tfreid.data.input_mode``). With ``config.folds``
    > 1 all splits are pooled and fold ``config.fold`` of the identities is the test set (one
    query per identity, the rest gallery). ``self_supervised`` training uses
    every training image, labels unseen: no identity is held out for
    validation, and the default dataset is the wide-view surface set.
    """
    dataset_dir = Path(config.dataset) if config.dataset else ensure_default_dataset(
        wide=self_supervised)
    size = config.image_shape()
    read = _split_reader(config, dataset_dir)
    test = {split: read(dataset_dir, split, size) for split in ("query", "gallery")}
    train_all = read(dataset_dir, "train", size)
    if config.folds > 1:
        pooled = concatenate([train_all, test["query"], test["gallery"]])
        train_all, held_out = identity_folds(pooled, config.folds, config.fold, config.seed)
        test["query"], test["gallery"] = query_gallery_split(held_out, config.seed)
    revisited = None if config.folds > 1 else revisited_masks(
        read_manifest(dataset_dir), test["query"].filenames, test["gallery"].filenames)
    if self_supervised:
        return {"train": train_all, **test, "revisited": revisited}
    if lonely == "skip":
        train_all = drop_lonely_identities(train_all, "train")
    check_pairable(train_all.identities, "train")
    train, validation = hold_out_identities(train_all, config.validation_fraction, config.seed)
    val_query, val_gallery = query_gallery_split(validation, config.seed)
    return {"train": train, "validation": validation, "val_query": val_query,
            "val_gallery": val_gallery, **test, "revisited": revisited}
