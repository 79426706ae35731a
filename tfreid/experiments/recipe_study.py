"""The bag-of-tricks recipe side by side with tfreid's pair, triplet and proxy losses, on
one training budget, resumably.

Every row trains paper 000's Table I CNN (BoT's ResNet-50 at 256 x 128 takes about 8 s a
step on 2 CPU cores; ``benchmarks/bot_step_speed.py``) for the same number of images:
``epochs`` x ``steps_per_epoch`` P x K batches (16 x 4 surfaces, 3 x 16 Fashion-MNIST
classes), never stopping early, the best validation epoch kept, then scored on the held-out
identities (rank-1, mAP, mINP, MAP@R). The rows (``ROWS``):

* ``quickstart``: ``tfreid train-siamese --loss contrastive`` (P x K, batch-hard pairs);
* ``batch-hard triplet`` (margin 0.3) and ``multi-similarity``: ``--method batch`` with
  the quickstart's Adam 3e-4 (the method's default 1e-3 trains the triplet row far worse);
* ``softmax+triplet``: identity cross-entropy plus batch-hard triplet without the tricks
  (BoT's Table 1 "baseline": flip and pad-and-crop, the step schedule without warm-up,
  no label smoothing, BNNeck, random erasing or center loss);
* ``BoT``: all of them (warm-up, label smoothing 0.1, BNNeck, random erasing, center loss
  0.0005), and ``BoT`` without each of BNNeck, random erasing, warm-up and flip with
  pad-and-crop, without the triplet loss (``identity only``), and with the triplet's soft
  margin instead of 0.3;
* ``ArcFace`` and ``circle-softmax`` heads (``--method batch``, BoT's augmentation and
  schedule).

The classification rows share BoT's optimisation scaled to the budget (Adam 3.5e-4, warm-up
over the first 1/12 of training from 0.1, x0.1 after 1/3 and 7/12 of it). Seeds: each row
once, at the first seed; the quickstart, BoT and the best other row of each data set at
every seed. Rows go to ``results.jsonl`` as each run ends (``tfreid.experiments.resumable``),
so a killed study resumes; a run that finished but lost its row is read back, not retrained.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfreid.experiments.resumable import Finished, resumable_rows
from tfreid.training.config import RunConfig
from tfreid.training.run_folder import finished_results

DATASETS = ("surfaces", "surfaces-wide", "fashion-mnist")
MEASURES = ("rank1", "mAP", "minp", "map_at_r")
SEEDED_ROWS = ("quickstart", "BoT")  # every seed, with each data set's best other row

BOT_AUGMENT = ["flip", "pad_crop", "erase"]
# (method, settings) of each row beyond the budget; "schedule" rows get BoT's scaled schedule
CLASSIFICATION_BOT = {"metric_loss": "triplet_margin", "neck": "bnneck", "label_smoothing": 0.1,
                      "center_weight": 0.0005, "train_augment": BOT_AUGMENT, "schedule": True}
ROWS: dict[str, tuple[str, dict[str, Any]]] = {
    "quickstart": ("siamese", {"loss": "contrastive"}),
    "batch-hard triplet": ("batch", {"loss": "triplet_margin", "miner": "hard",
                                     "margin": 0.3, "lr": 3e-4}),
    "multi-similarity": ("batch", {"loss": "multi_similarity", "miner": "multi_similarity",
                                   "lr": 3e-4}),
    "softmax+triplet": ("classification", {
        "metric_loss": "triplet_margin", "neck": "none", "label_smoothing": 0.0,
        "center_weight": 0.0, "train_augment": ["flip", "pad_crop"], "schedule": True,
        "warmup_epochs": 0}),
    "BoT": ("classification", CLASSIFICATION_BOT),
    "BoT - BNNeck": ("classification", {**CLASSIFICATION_BOT, "neck": "none"}),
    "BoT - random erasing": ("classification", {**CLASSIFICATION_BOT,
                                                "train_augment": ["flip", "pad_crop"]}),
    "BoT - warm-up": ("classification", {**CLASSIFICATION_BOT, "warmup_epochs": 0}),
    "BoT - flip, pad-and-crop": ("classification", {**CLASSIFICATION_BOT,
                                                    "train_augment": ["erase"]}),
    "identity only": ("classification", {**CLASSIFICATION_BOT, "metric_loss": "none"}),
    "BoT, soft margin": ("classification", {**CLASSIFICATION_BOT, "soft_margin": True}),
    "ArcFace": ("batch", {"loss": "arcface", "train_augment": BOT_AUGMENT, "schedule": True}),
    "circle-softmax": ("batch", {"loss": "circle_softmax", "train_augment": BOT_AUGMENT,
                                 "schedule": True}),
}


def study_settings(quick: bool) -> dict[str, Any]:
    """The budget every row shares, and each data set's input (quick: a few minutes)."""
    epochs = 6 if quick else 24
    surfaces = {"image_size": 64, "batch_size": 64, "samples_per_identity": 4}
    return {"budget": {"epochs": epochs, "steps_per_epoch": 15 if quick else 60,
                       "patience": epochs, "embedding_dim": 100},
            # Fashion-MNIST trains on 3 classes (two more validate): P x K = 3 x 16
            "input": {"surfaces": surfaces, "surfaces-wide": surfaces,
                      "fashion-mnist": {"image_size": 40, "batch_size": 48,
                                        "samples_per_identity": 16}}}


def bot_schedule(epochs: int) -> dict[str, Any]:
    """BoT's schedule (10 warm-up epochs of 120 from 0.1 x, x0.1 at 40 and 70) in ``epochs``."""
    return {"lr": 3.5e-4, "optimizer": "adam", "lr_schedule": "multistep",
            "warmup_epochs": max(1, round(epochs / 12)), "warmup_factor": 0.1,
            "lr_milestones": [round(epochs / 3), round(epochs * 7 / 12)], "lr_gamma": 0.1}


def row_config(row: str, dataset_dir: Path, dataset: str, settings: dict, seed: int,
               logdir: Path) -> RunConfig:
    """The run of ``row`` on ``dataset``: the shared budget, then the row's own settings."""
    method, own = ROWS[row]
    own = dict(own)
    budget = settings["budget"]
    if own.pop("schedule", False):
        own = {**bot_schedule(budget["epochs"]), **own}
    return RunConfig.for_method(
        method, dataset=str(dataset_dir), seed=seed, logdir=str(logdir), save_export=False,
        **settings["input"][dataset], **budget, **own)


def ensure_dataset(name: str, root: Path, quick: bool) -> Path:
    """The study's data set ``name`` under ``root``: the default and wide-view surface sets
    (the quickstart's), Fashion-MNIST classes 0-4 / 5-9 (as the self-supervised study's);
    quick: the self-supervised study's smaller sets."""
    from tfreid.data.default import ensure_default_dataset
    from tfreid.experiments.self_supervised_data import ensure_study_dataset

    if quick or name == "fashion-mnist":
        return ensure_study_dataset(name, root, quick)
    return ensure_default_dataset(root, verbose=False, wide=name == "surfaces-wide")


def run_row(dataset: str, row: str, seed: int, root: Path, out: Path, settings: dict,
            quick: bool) -> dict[str, Any]:
    """One row's held-out scores (trained now, or read back from its finished run)."""
    from tfreid.training.engine import train

    slug = re.sub(r"[^a-z0-9]+", "-", row.lower().replace(" - ", " no "))
    logdir = out / "runs" / f"{dataset}-{slug}-seed{seed}"
    config = row_config(row, ensure_dataset(dataset, root, quick), dataset, settings, seed,
                        logdir)
    results = finished_results(config.method, config.to_dict()) or train(config, verbose=0)
    test = results["test"]
    return {"dataset": dataset, "row": row, "seed": seed, "epochs": results["epochs_run"],
            "best_epoch": results["best_epoch"],
            "seconds_per_epoch": results["seconds_per_epoch"],
            **{measure: test.get(measure) for measure in MEASURES}}


def _best_other(rows: list[dict[str, Any]], dataset: str) -> str:
    """The row of ``dataset`` with the highest mAP among those run at one seed."""
    others = [r for r in rows if r["dataset"] == dataset and r["row"] not in SEEDED_ROWS]
    return max(others, key=lambda r: r["mAP"])["row"]


def run_study(datasets: tuple[str, ...], seeds: tuple[int, ...], root: Path, out: Path,
              quick: bool, progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every row not yet in ``out/results.jsonl`` (module docstring); the study's rows:
    every row at the first seed, then the quickstart, BoT and each data set's best other
    row at the other seeds."""
    settings = study_settings(quick)
    out.mkdir(parents=True, exist_ok=True)

    def plan_of(entries) -> dict[str, tuple]:
        return {json.dumps([d, r, s, settings, ROWS[r]], sort_keys=True): (d, r, s)
                for d, r, s in entries}

    def run_one(key: str) -> dict[str, Any]:
        return run_row(*plans[key], root, out, settings, quick)

    def report(done: Finished) -> None:
        dataset, row, seed = plans[done.key]
        progress(f"{dataset} {row} (seed {seed}): rank-1 {done.row['rank1']:.3f}, mAP "
                 f"{done.row['mAP']:.3f}; {done.seconds:.0f} s so far")

    first = plan_of((d, r, seeds[0]) for d in datasets for r in ROWS)
    plans = dict(first)
    rows = resumable_rows(first, run_one, out / "results.jsonl", progress=report)
    again = plan_of((d, r, s) for d in datasets for s in seeds[1:]
                    for r in (*SEEDED_ROWS, _best_other(rows, d)))
    plans.update(again)
    return rows + resumable_rows(again, run_one, out / "results.jsonl", progress=report)
