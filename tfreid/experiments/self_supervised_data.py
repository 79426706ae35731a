"""The datasets of the self-supervised study (thesis 003 analogues, design brief A5).

* ``fashion-mnist``, ``digits``: classes 0-4 train, classes 5-9 are the held-out
  test set (CUB200 / CARS196 analogues: class-level variation); queries are a
  seeded tenth of the test images (camera 0), the rest the gallery (camera 1).
* ``surfaces``: the surface set, views of one surface photographed much alike,
  the object filling the frame (the SOP analogue).
* ``surfaces-wide``: wide views with easy / hard / junk ground truth (the
  GLDv2 -> rOxford analogue, mAP E / M / H).

Each has a "pre-training" source of other classes or identities: Fashion-MNIST
and digits each other's, the surface sets a surface set of other seeds.
"""

import dataclasses
from pathlib import Path

import numpy as np

from tfreid.data.class_datasets import array_records, ensure_class_dataset
from tfreid.data.dataset import Dataset
from tfreid.data.default import make_surfaces
from tfreid.data.manifest import MANIFEST_NAME
from tfreid.data.surfaces import SurfaceConfig
from tfreid.data.writer import write_dataset

DATASETS = ("fashion-mnist", "digits", "surfaces", "surfaces-wide")
PRETRAIN_SOURCE = {"fashion-mnist": "digits", "digits": "fashion-mnist",
                   "surfaces": "surfaces-other", "surfaces-wide": "surfaces-other"}
TRAIN_CLASSES = (0, 1, 2, 3, 4)


def _subsample(labels: np.ndarray, keep: np.ndarray, limit: int, seed: int) -> np.ndarray:
    chosen = np.flatnonzero(keep)
    if len(chosen) > limit:
        chosen = np.sort(np.random.default_rng(seed).choice(chosen, limit, replace=False))
    return chosen


def disjoint_classes(source: Path, out: Path, max_train: int, max_test: int, seed: int) -> Path:
    """A re-id dataset of a class dataset: classes 0-4 train, 5-9 query / gallery."""
    dataset = Dataset(source)
    train, test = (dataset.split(split, (28, 28), "memory") for split in ("train", "test"))
    train_rows = _subsample(train.identities, np.isin(train.identities, TRAIN_CLASSES),
                            max_train, seed)
    test_rows = _subsample(test.identities, ~np.isin(test.identities, TRAIN_CLASSES),
                           max_test, seed + 1)
    query = np.zeros(len(test_rows), bool)
    query[np.random.default_rng(seed + 2).permutation(len(test_rows))[:len(test_rows) // 10]] = 1
    every_own_camera = [dataclasses.replace(r, camera=i) for i, r in enumerate(array_records(
        train.images[train_rows], train.identities[train_rows], "train"))]
    records = {"train": every_own_camera,  # so validation queries have valid matches
               "query": array_records(test.images[test_rows][query],
                                      test.identities[test_rows][query], "query"),
               "gallery": [dataclasses.replace(r, camera=1)
                           for r in array_records(test.images[test_rows][~query],
                                                  test.identities[test_rows][~query],
                                                  "gallery")]}
    write_dataset(out, records, name=out.name, source=f"{source} classes 0-4 / 5-9",
                  overwrite=out.exists())
    return out


def ensure_study_dataset(name: str, root: Path, quick: bool) -> Path:
    """The study dataset ``name`` (or a pre-training source) under ``root``, made if missing."""
    out = root / f"selfsup-{name}{'-quick' * quick}"
    if (out / MANIFEST_NAME).is_file():
        return out
    identities = 90 if quick else 300
    if name in ("fashion-mnist", "digits"):
        source = ensure_class_dataset(name, root / name)
        sizes = (1500, 1000) if quick else (15000, 5000)
        return disjoint_classes(source, out, *sizes, seed=0)
    configs = {"surfaces": SurfaceConfig(num_identities=identities, seed=0),
               "surfaces-wide": SurfaceConfig.wide_views(num_identities=identities, seed=0),
               "surfaces-other": SurfaceConfig(num_identities=identities, seed=11)}
    make_surfaces(out, configs[name], overwrite=out.exists())
    return out
