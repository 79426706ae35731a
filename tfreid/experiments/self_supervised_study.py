"""The self-supervised study of thesis 003 on local data: every method from scratch and
from a "pre-trained" start, against the supervised upper bound and the untrained /
pre-trained floor (Tables 1-10 analogues), resumably.

Scenarios per dataset (``self_supervised_data``): the floors (``untrained``,
``pretrained``: an encoder evaluated without training here), ``supervised``
(Multi-Similarity on the labels, from the pre-trained start), and Spreading,
InsCLR and STML from scratch and from the pre-trained start; on the wide
surfaces also InsCLR with 3 cycles only (Table 8: does the hard-negative
4th cycle help?). The pre-trained start is a supervised run on the dataset's
pre-training source (other classes or identities). Each scenario is scored
on the held-out classes / identities: Recall@1/2/4/8 and NMI over all held-out
images, mAP (queries against gallery), mAP E / M / H where the dataset has the
ground truth, and seconds per epoch (Table 10). Rows go to a JSON-lines file
as each scenario ends, so an interrupted study resumes; a scenario whose run
finished but whose row was lost (a torn last line) is scored from the run's
``results.json``, not trained again (``tfreid.experiments.resumable``).
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfreid.experiments.resumable import Finished, resumable_rows
from tfreid.experiments.self_supervised_data import PRETRAIN_SOURCE, ensure_study_dataset
from tfreid.metrics.measures import MAP
from tfreid.training.config import RunConfig
from tfreid.training.run_folder import finished_results

METHODS = ("spreading", "insclr", "stml")
MEASURES = ("recall_at_1", "recall_at_2", "recall_at_4", "recall_at_8", "nmi", "mAP",
            "mAP_easy", "mAP_medium", "mAP_hard")


def study_settings(quick: bool) -> dict[str, Any]:
    """Shared run settings and each method's own (quick: minutes on 2 CPU cores)."""
    epochs = 6 if quick else 30
    shared = {"epochs": epochs, "embedding_dim": 32, "batch_size": 32, "image_size": 40}
    return {"shared": shared, "pretrain_epochs": 6 if quick else 20, "methods": {
        "spreading": {"lr": 0.03},
        "insclr": {"lr": 3e-4, "anchors": 16, "pool_size": 50, "cycles": 4},
        "stml": {"lr": 1e-3, "queries": 8, "num_neighbours": 4, "momentum": 0.99,
                 "wide_dim": 128},
        "supervised": {"loss": "multi_similarity", "miner": "all", "steps_per_epoch": 30},
    }}


def _scenarios(dataset: str) -> list[tuple[str, str]]:
    rows = [("untrained", "-"), ("pretrained", "-"), ("supervised", "pretrained")]
    rows += [(method, start) for method in METHODS for start in ("scratch", "pretrained")]
    if dataset == "surfaces-wide":
        rows.append(("insclr-3-cycles", "pretrained"))
    return rows


CLASS_BATCHES = {"samples_per_identity": 8, "batch_size": 24}  # 3 classes x 8 images


def _config(method: str, dataset_dir: Path, settings: dict, seed: int, logdir: Path,
            start: str | None, **more: Any) -> RunConfig:
    own = dict(settings["methods"]["insclr" if method == "insclr-3-cycles" else method])
    if method == "insclr-3-cycles":
        own["cycles"] = 3
    if method == "supervised" and "surfaces" not in dataset_dir.name:
        own.update(CLASS_BATCHES)  # 5 training classes, 2 of them held out for validation
    name = "batch" if method == "supervised" else method.split("-")[0]
    return RunConfig.for_method(name, dataset=str(dataset_dir), seed=seed, logdir=str(logdir),
                                save_export=False, initial_weights=start,
                                **{**settings["shared"], **own, **more})


def pretrained_run(dataset: str, root: Path, out: Path, settings: dict, seed: int,
                   quick: bool) -> Path:
    """The supervised run on ``dataset``'s pre-training source (trained once, then reused)."""
    from tfreid.training.engine import train

    source = PRETRAIN_SOURCE[dataset]
    folder = out / "runs" / f"pretrain-{source}-seed{seed}"
    if not (folder / "results.json").is_file():
        config = _config("supervised", ensure_study_dataset(source, root, quick), settings,
                         seed, folder, None, epochs=settings["pretrain_epochs"])
        train(config, verbose=0)
    return folder


def _floor(kind: str, dataset_dir: Path, settings: dict, seed: int, start: Path) -> dict:
    """Scores of an encoder not trained here: random (untrained) or pre-trained."""
    from tfreid.backend import keras
    from tfreid.data.dataset import Dataset
    from tfreid.evaluation import held_out_scores
    from tfreid.models import build_encoder
    from tfreid.training.engine import start_from

    shared = settings["shared"]
    size = (shared["image_size"],) * 2
    keras.utils.set_random_seed(seed)
    encoder = build_encoder("table1", size, shared["embedding_dim"])
    if kind == "pretrained":
        start_from(encoder, str(start))
    dataset = Dataset(dataset_dir)
    query, gallery = (dataset.split(s, size, "memory") for s in ("query", "gallery"))
    masks = dataset.revisited_masks(query.filenames, gallery.filenames)
    return {"test": held_out_scores(encoder, query, gallery, "euclidean", masks, seed),
            "seconds_per_epoch": 0.0, "epochs_run": 0}


def run_scenario(dataset: str, method: str, start: str, root: Path, out: Path,
                 settings: dict, seed: int, quick: bool) -> dict[str, Any]:
    """One row: the scenario's scores on the held-out classes or identities."""
    from tfreid.training.engine import train

    dataset_dir = ensure_study_dataset(dataset, root, quick)
    pretrained = pretrained_run(dataset, root, out, settings, seed, quick) \
        if "pretrained" in (method, start) else None
    if method in ("untrained", "pretrained"):
        results = _floor(method, dataset_dir, settings, seed, pretrained)
    else:
        logdir = out / "runs" / f"{dataset}-{method}-{start}-seed{seed}"
        config = _config(method, dataset_dir, settings, seed, logdir,
                         str(pretrained) if start == "pretrained" else None)
        results = finished_results(config.method, config.to_dict()) or train(config, verbose=0)
    test = results["test"]
    return {"dataset": dataset, "method": method, "start": start, "seed": seed,
            "epochs": results["epochs_run"], "seconds_per_epoch": results["seconds_per_epoch"],
            **{m: test.get(m) for m in MEASURES}}


def run_study(datasets: tuple[str, ...], seeds: tuple[int, ...], root: Path, out: Path,
              quick: bool, progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every scenario not yet in ``out/results.jsonl``; this study's rows in order."""
    settings = study_settings(quick)
    out.mkdir(parents=True, exist_ok=True)
    plan = {json.dumps([d, m, s, seed, settings], sort_keys=True): (d, m, s, seed)
            for d in datasets for m, s in _scenarios(d) for seed in seeds}

    def run_one(key: str) -> dict[str, Any]:
        dataset, method, start, seed = plan[key]
        return run_scenario(dataset, method, start, root, out, settings, seed, quick)

    def report(done: Finished) -> None:
        dataset, method, start, seed = plan[done.key]
        progress(f"{done.position}/{done.total} {dataset} {method} ({start}, seed {seed}): R@1 "
                 f"{done.row['recall_at_1']:.3f}, mAP {done.row[MAP.key]:.3f}; "
                 f"{done.seconds:.0f} s so far")

    return resumable_rows(plan, run_one, out / "results.jsonl", progress=report)
