"""Paper 002's study: pairwise vs triplet training under none / FER / SimCLR augmentation.

Twelve scenarios: 2 datasets x 3 augmentations x 2 trainings. Each trains
paper 002's network on a dataset's train split, embeds its test split and
scores the embeddings with ``evaluate_classes`` (probe accuracy, top-3, kNN,
Recall@k, NMI) and a t-SNE map of 1,000 test points. Rows go to a JSON-lines
file as each scenario ends, so an interrupted study resumes; TensorBoard curves
go to ``runs/<dataset>-<augment>-<training>`` beside it.
"""

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tfreid.data.reader import SplitArrays, load_split
from tfreid.evaluation.embedding import embed
from tfreid.experiments.augmented_training import AugmentedTrainingConfig, train_augmented
from tfreid.experiments.studies import STUDY_AUGMENTATIONS, TRAININGS
from tfreid.io.jsonl import append_row, read_rows
from tfreid.metrics.classification import evaluate_classes
from tfreid.plots.tsne import tsne_map

STUDY_DATASETS = ("fashion-mnist", "digits")
QUICK = AugmentedTrainingConfig(epochs={"pairwise": 2, "triplet": 4}, max_train_images=8000)


def scenario_key(dataset: str, augment: str, training: str,
                 config: AugmentedTrainingConfig) -> str:
    """The identity of one scenario: what it trains on, how, and with which settings."""
    return json.dumps({"dataset": dataset, "augment": augment, "training": training,
                       "config": config.to_dict()}, sort_keys=True)


def run_scenario(train: SplitArrays, test: SplitArrays, dataset: str, augment: str,
                 training: str, config: AugmentedTrainingConfig,
                 log_dir: Path | None = None) -> dict[str, Any]:
    """Train on ``train`` and evaluate on ``test`` (classes as identities); the result row."""
    encoder, run = train_augmented(config, training, augment, train.images, train.identities,
                                   log_dir)
    embeddings = embed(encoder, test.images)
    scores = evaluate_classes(embeddings, test.identities, seed=config.seed)
    points, labels = tsne_map(embeddings, test.identities, seed=config.seed)
    return {"key": scenario_key(dataset, augment, training, config), "dataset": dataset,
            "augment": augment, "training": training, "epochs": config.epochs[training],
            "batch_size": config.batch_size, "learning_rate": config.learning_rate,
            "train_images": run["train_images"], "train_seconds": run["train_seconds"],
            "final_loss": run["history"]["loss"][-1],
            **{k: v for k, v in scores.items() if k not in ("confusion", "classes")},
            "confusion": scores["confusion"].tolist(), "classes": scores["classes"].tolist(),
            "tsne": {"points": points.tolist(), "labels": labels.tolist()}}


def run_study(dataset_dirs: dict[str, Path], config: AugmentedTrainingConfig,
              results_path: Path, augments: tuple[str, ...] = STUDY_AUGMENTATIONS,
              trainings: tuple[str, ...] = TRAININGS,
              progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run every scenario not yet in ``results_path``; return this study's rows in order."""
    results_path.parent.mkdir(parents=True, exist_ok=True)
    done = {row["key"] for row in read_rows(results_path)}
    wanted = []
    size = (config.image_size, config.image_size)
    for dataset, directory in dataset_dirs.items():
        splits = None
        for augment, training in itertools.product(augments, trainings):
            key = scenario_key(dataset, augment, training, config)
            wanted.append(key)
            if key in done:
                continue
            splits = splits or [load_split(directory, s, size) for s in ("train", "test")]
            progress(f"training {dataset} / {augment} / {training}")
            log_dir = results_path.parent / "runs" / f"{dataset}-{augment}-{training}"
            append_row(results_path, run_scenario(*splits, dataset, augment, training, config,
                                                  log_dir))
    rows = {row["key"]: row for row in read_rows(results_path)}
    return [rows[key] for key in wanted]


def study_config(quick: bool, seed: int, **overrides: Any) -> AugmentedTrainingConfig:
    """The paper's settings (or the quick ones) with ``overrides`` (None values ignored)."""
    base = QUICK if quick else AugmentedTrainingConfig()
    return replace(base, seed=seed, **{k: v for k, v in overrides.items() if v is not None})
