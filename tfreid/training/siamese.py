"""Train a Siamese re-identification model end to end (paper 004 on tfreid data).

Reads the dataset's train split, holds out validation identities, trains on
balanced pairs with the contrastive loss, binary verification or both, monitors
rank-1 / mAP / mAC / CF each epoch, stops early on validation mAP, evaluates
the held-out query/gallery split and exports a SavedModel.
"""

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import default_jit_compile, keras
from tfreid.callbacks import CorrelationMonitor, PairImages
from tfreid.data.default import ensure_default_dataset
from tfreid.data.pairs import check_pairable, pair_dataset
from tfreid.data.reader import SplitArrays, load_split
from tfreid.data.splits import hold_out_identities, query_gallery_split
from tfreid.errors import TrainingError
from tfreid.export import export_saved_model
from tfreid.losses import BinaryVerificationLoss, ContrastiveLoss
from tfreid.metrics import evaluate_ranking
from tfreid.metrics.pair_accuracy import DistancePairAccuracy
from tfreid.models import build_encoder, build_siamese
from tfreid.training.embedding import evaluate_encoder
from tfreid.training.siamese_config import SiameseConfig


def load_siamese_data(config: SiameseConfig) -> dict[str, SplitArrays]:
    """train, val_query, val_gallery (identities held out of train), query, gallery."""
    dataset_dir = Path(config.dataset) if config.dataset else ensure_default_dataset()
    size = config.image_shape()
    splits = {split: load_split(dataset_dir, split, size) for split in ("query", "gallery")}
    train_all = load_split(dataset_dir, "train", size)
    check_pairable(train_all.identities, "train")
    train, validation = hold_out_identities(train_all, config.validation_fraction, config.seed)
    val_query, val_gallery = query_gallery_split(validation, config.seed)
    return {"train": train, "validation": validation, "val_query": val_query,
            "val_gallery": val_gallery, **splits}


def _targets(loss: str) -> tuple[str, ...]:
    return {"contrastive": ("distance",), "binary": ("logit",),
            "combined": ("distance", "logit")}[loss]


def build_siamese_training(config: SiameseConfig) -> tuple[keras.Model, keras.Model]:
    """(encoder, compiled Siamese model) for ``config``."""
    keras.utils.set_random_seed(config.seed)
    encoder = build_encoder(config.backbone, config.image_shape(), config.embedding_dim)
    siamese = build_siamese(encoder, merge_head=config.loss != "contrastive")
    losses = {"distance": ContrastiveLoss(config.margin), "logit": BinaryVerificationLoss()}
    metrics = {"distance": [DistancePairAccuracy(config.margin / 2)],
               "logit": [keras.metrics.BinaryAccuracy(name="pair_accuracy", threshold=0.0)]}
    targets = _targets(config.loss)
    siamese.compile(
        optimizer=keras.optimizers.Adam(config.lr),
        loss={t: losses[t] for t in targets}, metrics={t: metrics[t] for t in targets},
        jit_compile=default_jit_compile() if config.xla is None else config.xla)
    return encoder, siamese


def _callbacks(config: SiameseConfig, encoder: keras.Model, data: dict, logdir: Path,
               sample_pairs) -> list[keras.callbacks.Callback]:
    return [
        CorrelationMonitor(encoder, data["val_query"], data["val_gallery"], config.monitor_every),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(logdir), write_graph=False, profile_batch=0),
        PairImages(str(logdir / "train"), sample_pairs),
        keras.callbacks.ModelCheckpoint(
            str(logdir / "checkpoints" / "best.weights.h5"), monitor="val_mAP", mode="max",
            save_best_only=True, save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor="val_mAP", mode="max", patience=config.patience,
                                      restore_best_weights=True),
    ]


def _check_finite(history: dict[str, list[float]]) -> None:
    for key, values in history.items():
        if values and not math.isfinite(values[-1]) and "loss" in key:
            raise TrainingError(f"training stopped: {key} became {values[-1]} at epoch "
                                f"{len(values)}; try a lower --lr")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
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


def train_siamese(config: SiameseConfig, verbose: int = 2) -> dict[str, Any]:
    """Run ``config`` end to end; return the results (also written to the logdir)."""
    config.check()
    run_name = config.resolved_run_name()
    logdir = Path(config.logdir or Path("logs") / run_name)
    data = load_siamese_data(config)
    encoder, siamese = build_siamese_training(config)
    targets = _targets(config.loss)
    train_pairs = pair_dataset(data["train"].images, data["train"].identities,
                               config.batch_size, config.seed, targets)
    val_pairs = pair_dataset(data["validation"].images, data["validation"].identities,
                             config.batch_size, config.seed + 1, targets)
    val_pairs = val_pairs.take(config.validation_steps).cache()
    sample_pairs = next(iter(val_pairs))
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    history = siamese.fit(
        train_pairs, epochs=config.epochs, steps_per_epoch=config.steps_per_epoch,
        validation_data=val_pairs, verbose=verbose,
        callbacks=_callbacks(config, encoder, data, logdir, sample_pairs)).history
    _check_finite(history)
    seconds = time.time() - started
    test = evaluate_encoder(encoder, data["query"], data["gallery"])
    export_dir = Path(config.export or Path("exports") / run_name)
    export_saved_model(encoder, export_dir, metadata={"run": run_name, "metric": "euclidean"})
    results = {
        "run": run_name, "config": config.to_dict(), "logdir": str(logdir),
        "export": str(export_dir), "epochs_run": len(history["loss"]),
        "train_seconds": seconds, "test": {k: v for k, v in test.items() if k != "cmc"},
        "test_cmc": test["cmc"].tolist(),
        "chance": chance_scores(data["query"], data["gallery"], config.seed),
        "history": history,
    }
    _write_json(logdir / "results.json", results)
    return results
