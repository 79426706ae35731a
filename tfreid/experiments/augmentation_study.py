"""Paper 002's study: pairwise vs triplet training under none / FER / SimCLR augmentation.

Twelve scenarios: 2 datasets x 3 augmentations x 2 trainings. Each trains
paper 002's network (backbone ``pami``) through the engine's ``augmented``
method (``tfreid.training.methods.augmented``): pairwise is its
``cosine_embedding`` loss, triplet its ``triplet_margin`` loss, on every training
image for a fixed number of epochs (``validate=False``, as 002 trained). The
run's data is the class dataset as a re-id dataset (``study_dataset``: the
training images, at most ``max_train_images``; the test split as query /
gallery, which the engine scores). The study then embeds the test split with
the run's encoder and scores it with ``evaluate_classes`` (probe accuracy,
top-3, kNN, Recall@k, NMI) and a t-SNE map of 1,000 test points.

Rows go to ``results.jsonl`` as each scenario ends (``tfreid.experiments.resumable``),
so an interrupted study resumes; a scenario whose run finished but whose row is
missing is scored from the run's saved encoder, not trained again. Each run,
TensorBoard curves included, is ``runs/<dataset>-<augment>-<training>-<settings>``
beside the rows (``<settings>``: a digest of the study's settings, so studies of
other settings in the same folder keep apart).
"""

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.errors import ConfigError
from tfreid.experiments.resumable import Finished, resumable_rows
from tfreid.experiments.studies import STUDY_AUGMENTATIONS, TRAININGS
from tfreid.training.config import RunConfig
from tfreid.training.run_folder import finished_results

STUDY_DATASETS = ("fashion-mnist", "digits")
LOSSES = {"pairwise": "cosine_embedding", "triplet": "triplet_margin"}


@dataclass(frozen=True)
class StudySettings:
    """Paper 002's training: pairwise = cosine embedding loss, triplet = triplet margin loss.

    002 trained 5 (pairwise) and 10 (triplet) epochs at batch 1024. Here every
    pair or triplet of a batch counts, so batches are smaller (the triplet loss
    holds a (2B)^3 tensor); Adam replaces 002's unnamed optimiser. ``run_config``
    turns a scenario into the engine's ``RunConfig``. The fields, names included,
    are the scenario keys of the rows file (``scenario_key``): keep them so
    study folders resume.
    """

    epochs: dict[str, int] = field(default_factory=lambda: {"pairwise": 5, "triplet": 10})
    batch_size: int = 128
    learning_rate: float = 1e-3
    margins: dict[str, float] = field(default_factory=lambda: {"pairwise": 0.0, "triplet": 1.0})
    embedding_dim: int = 32
    image_size: int = 28
    max_train_images: int | None = None
    augment_anchor: bool = False
    xla: bool | None = None
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """8 hex digits naming these settings (the run folders' suffix)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]

    def run_config(self, dataset_dir: str | Path, augment: str, training: str,
                   logdir: str | Path) -> RunConfig:
        """The engine's run of one scenario on ``dataset_dir`` (a ``study_dataset``)."""
        if training not in TRAININGS:
            raise ConfigError(f"unknown training {training!r}; choose from "
                              f"{', '.join(TRAININGS)}")
        return RunConfig.for_method(
            "augmented", dataset=str(dataset_dir), backbone="pami", image_size=self.image_size,
            embedding_dim=self.embedding_dim, epochs=self.epochs[training],
            batch_size=self.batch_size, lr=self.learning_rate, xla=self.xla, seed=self.seed,
            logdir=str(logdir), save_export=False, input="memory", loss=LOSSES[training],
            margin=self.margins[training], augment=augment,
            augment_anchor=self.augment_anchor, validate=False)


QUICK = StudySettings(epochs={"pairwise": 2, "triplet": 4}, max_train_images=8000)


def scenario_key(dataset: str, augment: str, training: str, settings: StudySettings) -> str:
    """The identity of one scenario: what it trains on, how, and with which settings."""
    return json.dumps({"dataset": dataset, "augment": augment, "training": training,
                       "config": settings.to_dict()}, sort_keys=True)


def subsample(count: int, limit: int | None, seed: int) -> np.ndarray:
    """Indices of at most ``limit`` of ``count`` images, a seeded random choice in order."""
    if limit is None or limit >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng([seed, 5]).permutation(count)[:limit])


def _records(images: np.ndarray, labels: np.ndarray, prefix: str, camera: int) -> list:
    """PNG records of ``images`` (one channel where the three are equal) at ``camera``."""
    from tfreid.data.class_datasets import array_records

    grey = all(np.array_equal(images[..., 0], images[..., c]) for c in (1, 2))
    records = array_records(images[..., 0] if grey else images, labels, prefix)
    return [replace(r, camera=camera) for r in records]


def study_dataset(source: Path, out: Path, settings: StudySettings) -> Path:
    """The class dataset ``source`` as the re-id dataset the engine trains on (made once
    into ``out``): its training images at the study's image size (at most
    ``max_train_images``, a seeded choice), its test split as queries (a seeded tenth,
    camera 0) and gallery (the rest, camera 1)."""
    from tfreid.data.dataset import Dataset
    from tfreid.data.manifest import MANIFEST_NAME
    from tfreid.data.writer import write_dataset

    if (out / MANIFEST_NAME).is_file():
        return out
    size, classes = (settings.image_size,) * 2, Dataset(source)
    train, test = (classes.split(split, size, "memory") for split in ("train", "test"))
    train = train.subset(subsample(len(train), settings.max_train_images, settings.seed))
    query = np.zeros(len(test), bool)
    query[np.random.default_rng([settings.seed, 6]).permutation(len(test))
          [:max(1, len(test) // 10)]] = True
    records = {"train": _records(np.asarray(train.images), train.identities, "train", 0),
               "query": _records(np.asarray(test.images)[query], test.identities[query],
                                 "query", 0),
               "gallery": _records(np.asarray(test.images)[~query], test.identities[~query],
                                   "gallery", 1)}
    write_dataset(out, records, name=out.name, source=f"{source}: train (at most "
                  f"{settings.max_train_images or 'all'} images), test as query / gallery",
                  overwrite=out.exists())
    return out


def scenario_row(dataset: str, augment: str, training: str, settings: StudySettings,
                 results: dict[str, Any], test: Any) -> dict[str, Any]:
    """The row of a finished run (its ``results``): the run's encoder (saved in its folder)
    embeds ``test`` (classes as identities) and ``evaluate_classes`` scores it."""
    from tfreid.data.dataset import Dataset
    from tfreid.evaluation.embedding import embed
    from tfreid.metrics.classification import evaluate_classes
    from tfreid.plots.tsne import tsne_map
    from tfreid.training.saved_run import load_encoder

    encoder = load_encoder(results["logdir"])
    embeddings = embed(encoder, test.images)
    scores = evaluate_classes(embeddings, test.identities, seed=settings.seed)
    points, labels = tsne_map(embeddings, test.identities, seed=settings.seed)
    train_images = Dataset(results["config"]["dataset"]).split_info("train")["num_images"]
    return {"key": scenario_key(dataset, augment, training, settings), "dataset": dataset,
            "augment": augment, "training": training, "epochs": settings.epochs[training],
            "batch_size": settings.batch_size, "learning_rate": settings.learning_rate,
            "train_images": train_images, "train_seconds": results["train_seconds"],
            "final_loss": results["history"]["loss"][-1],
            **{k: v for k, v in scores.items() if k not in ("confusion", "classes")},
            "confusion": scores["confusion"].tolist(), "classes": scores["classes"].tolist(),
            "tsne": {"points": points.tolist(), "labels": labels.tolist()}}


def run_study(dataset_dirs: dict[str, Path], settings: StudySettings,
              results_path: Path, augments: tuple[str, ...] = STUDY_AUGMENTATIONS,
              trainings: tuple[str, ...] = TRAININGS,
              progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run every scenario not yet in ``results_path``; return this study's rows in order."""
    out = results_path.parent
    plan = {scenario_key(dataset, augment, training, settings): (dataset, augment, training)
            for dataset in dataset_dirs
            for augment, training in itertools.product(augments, trainings)}
    tests: dict[str, Any] = {}

    def config_of(key: str) -> RunConfig:
        dataset, augment, training = plan[key]
        data = out / "data" / (f"{dataset}-{settings.image_size}px-train"
                               f"{settings.max_train_images or 'all'}-seed{settings.seed}")
        logdir = out / "runs" / f"{dataset}-{augment}-{training}-{settings.digest()}"
        return settings.run_config(data, augment, training, logdir)

    def row_of(key: str, results: dict[str, Any]) -> dict[str, Any]:
        from tfreid.data.dataset import Dataset

        dataset = plan[key][0]
        if dataset not in tests:
            tests[dataset] = Dataset(dataset_dirs[dataset]).split(
                "test", (settings.image_size,) * 2, "memory")
        return scenario_row(*plan[key], settings, results, tests[dataset])

    def restore(key: str) -> dict[str, Any] | None:
        config = config_of(key)
        results = finished_results(config.method, config.to_dict())
        return None if results is None else row_of(key, results)

    def run_one(key: str) -> dict[str, Any]:
        from tfreid.training.engine import train

        dataset, augment, training = plan[key]
        config = config_of(key)
        study_dataset(dataset_dirs[dataset], Path(config.dataset), settings)
        progress(f"training {dataset} / {augment} / {training}")
        return row_of(key, train(config, verbose=0))

    def report(done: Finished) -> None:
        if done.restored:
            progress(f"{' / '.join(plan[done.key])}: finished before, row restored from "
                     f"{config_of(done.key).logdir}")

    return resumable_rows(plan, run_one, results_path, restore, report)


def study_config(quick: bool, seed: int, **overrides: Any) -> StudySettings:
    """The paper's settings (or the quick ones) with ``overrides`` (None values ignored)."""
    base = QUICK if quick else StudySettings()
    return replace(base, seed=seed, **{k: v for k, v in overrides.items() if v is not None})
