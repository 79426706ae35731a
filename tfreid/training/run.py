"""What every training engine shares: data, callbacks, finishing a run."""

import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import keras
from tfreid.callbacks import CorrelationMonitor
from tfreid.data.default import ensure_default_dataset
from tfreid.data.pairs import check_pairable
from tfreid.data.reader import SplitArrays, load_split
from tfreid.data.splits import (
    concatenate,
    hold_out_identities,
    identity_folds,
    query_gallery_split,
)
from tfreid.errors import TrainingError
from tfreid.export import export_saved_model
from tfreid.metrics import evaluate_ranking
from tfreid.training.embedding import evaluate_encoder
from tfreid.training.run_config import RunConfig


def drop_lonely_identities(data: SplitArrays, split: str) -> SplitArrays:
    """``data`` without identities that have one image, with a warning naming them."""
    ids, counts = np.unique(data.identities, return_counts=True)
    lonely = ids[counts < 2]
    if len(lonely):
        warnings.warn(f"skipping {len(lonely)} identities with one image in split {split!r} "
                      f"(first: {lonely[0]}): a positive needs two", stacklevel=2)
    return data.subset(~np.isin(data.identities, lonely))


def load_reid_data(config: RunConfig, lonely: str = "error") -> dict[str, SplitArrays]:
    """train, validation, val_query, val_gallery, query and gallery splits.

    Training identities with one image are an error (``lonely="error"``: a
    pair needs two) or dropped with a warning (``"skip"``). Validation
    identities are held out of train. With ``config.folds`` > 1 all
    splits are pooled and fold ``config.fold`` of the identities is the test
    set (one query per identity, the rest gallery).
    """
    dataset_dir = Path(config.dataset) if config.dataset else ensure_default_dataset()
    size = config.image_shape()
    test = {split: load_split(dataset_dir, split, size) for split in ("query", "gallery")}
    train_all = load_split(dataset_dir, "train", size)
    if config.folds > 1:
        pooled = concatenate([train_all, test["query"], test["gallery"]])
        train_all, held_out = identity_folds(pooled, config.folds, config.fold, config.seed)
        test["query"], test["gallery"] = query_gallery_split(held_out, config.seed)
    if lonely == "skip":
        train_all = drop_lonely_identities(train_all, "train")
    check_pairable(train_all.identities, "train")
    train, validation = hold_out_identities(train_all, config.validation_fraction, config.seed)
    val_query, val_gallery = query_gallery_split(validation, config.seed)
    return {"train": train, "validation": validation, "val_query": val_query,
            "val_gallery": val_gallery, **test}


def standard_callbacks(
    config: RunConfig, encoder: keras.Model, data: dict[str, SplitArrays], logdir: Path
) -> list[keras.callbacks.Callback]:
    """Monitor (rank-1/mAP/mAC/CF), NaN stop, TensorBoard, best checkpoint, early stop."""
    return [
        CorrelationMonitor(encoder, data["val_query"], data["val_gallery"], config.monitor_every,
                           log_dir=str(logdir / "validation")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(logdir), write_graph=False, profile_batch=0),
        keras.callbacks.ModelCheckpoint(
            str(logdir / "checkpoints" / "best.weights.h5"), monitor="val_mAP", mode="max",
            save_best_only=True, save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor="val_mAP", mode="max", patience=config.patience,
                                      restore_best_weights=True),
    ]


def check_finite(history: dict[str, list[float]]) -> None:
    """TrainingError if a loss ended non-finite (TerminateOnNaN stopped the run)."""
    for key, values in history.items():
        if values and not math.isfinite(values[-1]) and "loss" in key:
            raise TrainingError(f"training stopped: {key} became {values[-1]} at epoch "
                                f"{len(values)}; try a lower --lr")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    os.replace(temporary, path)


def chance_scores(query: SplitArrays, gallery: SplitArrays, seed: int,
                  draws: int = 5) -> dict[str, float]:
    """Chance level of rank-1 and mAP under the same protocol.

    rank-1: mean over queries of (valid true matches / valid gallery entries),
    the probability that a random ranking puts a true match first. mAP: mean
    over ``draws`` random embeddings.
    """
    same_id = query.identities[:, None] == gallery.identities[None, :]
    valid = ~(same_id & (query.cameras[:, None] == gallery.cameras[None, :]))
    matches = (same_id & valid).sum(axis=1)
    scored = matches > 0
    rank1 = float((matches[scored] / valid[scored].sum(axis=1)).mean())
    rng = np.random.default_rng(seed)
    random_map = [evaluate_ranking(rng.normal(size=(len(query), 16)), query.identities,
                                   rng.normal(size=(len(gallery), 16)), gallery.identities,
                                   query.cameras, gallery.cameras)["mAP"] for _ in range(draws)]
    return {"rank1": rank1, "mAP": float(np.mean(random_map))}


ENCODER_NAME = "encoder.keras"


def finish_run(
    config: RunConfig, encoder: keras.Model, data: dict[str, SplitArrays], run_name: str,
    logdir: Path, history: dict[str, list[float]], seconds: float,
) -> dict[str, Any]:
    """Evaluate on the held-out query/gallery, export, write and return results.

    The run folder keeps the trained encoder (``encoder.keras``) and
    ``results.json`` (settings, scores, history), from which the encoder can be
    compressed or exported later (``tfreid.training.saved_run``).
    """
    check_finite(history)
    test = evaluate_encoder(encoder, data["query"], data["gallery"])
    export_dir = Path(config.export or Path("exports") / run_name)
    if config.save_export:
        export_saved_model(encoder, export_dir, metadata={"run": run_name, "metric": "euclidean"})
    results = {
        "run": run_name, "config": config.to_dict(), "logdir": str(logdir),
        "export": str(export_dir) if config.save_export else None,
        "epochs_run": max(len(values) for values in history.values()), "train_seconds": seconds,
        "test": {k: v for k, v in test.items() if k != "cmc"}, "test_cmc": test["cmc"].tolist(),
        "chance": chance_scores(data["query"], data["gallery"], config.seed),
        "history": history,
    }
    logdir.mkdir(parents=True, exist_ok=True)
    partial = logdir / f".partial-{ENCODER_NAME}"
    encoder.save(partial)
    os.replace(partial, logdir / ENCODER_NAME)
    write_json(logdir / "results.json", results)
    return results
