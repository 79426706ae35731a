"""The splits of a run: training, validation (held-out training identities) and test."""

import warnings

import numpy as np

from tfreid.data.dataset import Dataset
from tfreid.data.pairs import check_pairable
from tfreid.data.split import Split
from tfreid.data.splits import (
    concatenate,
    hold_out_identities,
    identity_folds,
    query_gallery_split,
)


def drop_lonely_identities(data: Split, split: str) -> Split:
    """``data`` without identities that have one image, with a warning naming them."""
    ids, counts = np.unique(data.identities, return_counts=True)
    lonely = ids[counts < 2]
    if len(lonely):
        warnings.warn(f"skipping {len(lonely)} identities with one image in split {split!r} "
                      f"(first: {lonely[0]}): a positive needs two", stacklevel=2)
    return data.subset(~np.isin(data.identities, lonely))


def load_reid_data(config, lonely: str = "error", self_supervised: bool = False,
                   validation: bool | None = None) -> dict[str, Split]:
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
    every training image, labels unseen: the default dataset is the wide-view surface
    set and no identity is held out for validation (``validation``, by default not
    ``self_supervised``, says whether to hold some out). The dataset's manifest is read
    once (``tfreid.data.Dataset``). The training splits of ``config.train_datasets`` join
    the dataset's, their identities kept apart (``join_training_splits``).
    """
    validation = not self_supervised if validation is None else validation
    further = [Dataset.open(path) for path in config.train_datasets]
    return reid_splits(Dataset.open(config.dataset, wide=self_supervised), config, lonely,
                       validation, further)


def join_training_splits(parts: list[Split]) -> Split:
    """The training splits of several datasets as one, each dataset's identities and cameras
    kept apart: those of part k are shifted past the largest of parts 0 .. k-1, so no two
    datasets share a label (identity 7 of Duke is not identity 7 of Market); an unknown
    camera (below 0) stays unknown."""
    shifted, next_identity, next_camera = [], 0, 0
    for part in parts:
        if len(part):
            cameras = np.where(part.cameras >= 0, part.cameras + next_camera, part.cameras)
            part = Split(part.images, part.identities + next_identity, cameras,
                         part.filenames)
            next_identity = int(part.identities.max()) + 1
            next_camera = max(next_camera, int(cameras.max()) + 1)
        shifted.append(part)
    return concatenate(shifted)


def open_test_datasets(config) -> list[Dataset]:
    """The datasets of ``config.test_datasets``, opened (and so checked) before training."""
    return [Dataset.open(path) for path in config.test_datasets]


def reid_splits(dataset: Dataset, config, lonely: str = "error",
                validation: bool = True, further: list[Dataset] = ()) -> dict[str, Split]:
    """``load_reid_data`` of datasets already open: ``dataset`` and the ``further`` ones
    whose training splits join its own."""
    size = config.image_shape()
    mode = dataset.choose_input(config.input, size)
    test = {split: dataset.split(split, size, mode) for split in ("query", "gallery")}
    train_all = dataset.split("train", size, mode)
    if further:
        train_all = join_training_splits(
            [train_all, *(other.split("train", size, mode) for other in further)])
    if config.folds > 1:
        pooled = concatenate([train_all, test["query"], test["gallery"]])
        train_all, held_out = identity_folds(pooled, config.folds, config.fold, config.seed)
        test["query"], test["gallery"] = query_gallery_split(held_out, config.seed)
    revisited = None if config.folds > 1 else dataset.revisited_masks(
        test["query"].filenames, test["gallery"].filenames)
    if not validation:
        return {"train": train_all, **test, "revisited": revisited}
    if lonely == "skip":
        train_all = drop_lonely_identities(train_all, "train")
    check_pairable(train_all.identities, "train")
    train, validation = hold_out_identities(train_all, config.validation_fraction, config.seed)
    val_query, val_gallery = query_gallery_split(validation, config.seed)
    return {"train": train, "validation": validation, "val_query": val_query,
            "val_gallery": val_gallery, **test, "revisited": revisited}
