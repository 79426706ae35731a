"""What every training engine shares: the run folder, data, callbacks, fitting with
resume, and finishing a run (trained model and results saved before the export)."""

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import keras, tf
from tfreid.callbacks.best_checkpoint import BestModelCheckpoint
from tfreid.callbacks.correlation_monitor import CorrelationMonitor
from tfreid.callbacks.resume import ResumeTraining, read_progress
from tfreid.data.default import ensure_default_dataset
from tfreid.data.pairs import check_pairable
from tfreid.data.reader import SplitArrays, load_split
from tfreid.data.splits import (
    concatenate,
    hold_out_identities,
    identity_folds,
    query_gallery_split,
)
from tfreid.errors import OutputError, TrainingError, describe
from tfreid.export import export_saved_model
from tfreid.io.outputs import check_new_output, check_not_nested, ensure_writable_dir
from tfreid.metrics import evaluate_ranking
from tfreid.training.embedding import evaluate_encoder
from tfreid.training.run_config import RunConfig
from tfreid.training.run_folder import RunFolder, locate_run


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


@dataclass(frozen=True)
class FitPaths:
    """Where one ``fit`` writes: TensorBoard events, best weights, resume backup (or none)."""

    logdir: Path
    checkpoint: Path
    backup: Path | None = None

    @classmethod
    def of_run(cls, run: RunFolder, part: str = "") -> "FitPaths":
        """The paths of a run folder; ``part`` separates ensemble members trained in turn."""
        logdir = run.path / part if part else run.path
        return cls(logdir, run.path / "checkpoints" / part / "best.weights.h5",
                   run.resume_dir / part if part else run.resume_dir)

    @classmethod
    def plain(cls, logdir: Path) -> "FitPaths":
        """A fit without resume (fine-tuning inside a larger job), logging to ``logdir``."""
        return cls(logdir, logdir / "checkpoints" / "best.weights.h5")


def standard_callbacks(config: RunConfig, encoder: keras.Model, data: dict[str, SplitArrays],
                       paths: FitPaths) -> tuple[list[keras.callbacks.Callback],
                                                 BestModelCheckpoint]:
    """Monitor (rank-1/mAP/mAC/CF), NaN stop, TensorBoard, best epoch (checkpoint and early
    stop); the last is returned on its own too."""
    best = BestModelCheckpoint(paths.checkpoint, monitor="val_mAP", mode="max",
                               patience=config.patience)
    return [
        CorrelationMonitor(encoder, data["val_query"], data["val_gallery"], config.monitor_every,
                           log_dir=str(paths.logdir / "validation")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(paths.logdir), write_graph=False, profile_batch=0),
        best,
    ], best


def fit_resumable(model: keras.Model, train_data: Callable[[int], tf.data.Dataset],
                  steps_per_epoch: int, epochs: int, paths: FitPaths,
                  callbacks: list[keras.callbacks.Callback], best: BestModelCheckpoint,
                  validation_data: Any = None, verbose: int = 2) -> dict[str, list[float]]:
    """``model.fit`` that a rerun resumes at its last finished epoch; the whole history.

    ``train_data(start_step)`` must give the endless training stream from global
    step ``start_step`` on, so a resumed run sees the batches an uninterrupted
    one would. Training that had ended before a kill (early stop or all epochs)
    is not repeated: the best epoch's weights are restored instead.
    """
    progress = read_progress(paths.backup) if paths.backup else None
    if progress and progress.epochs_done and (progress.epochs_done >= epochs
                                              or progress.states[0]["stopped"]):
        best.set_model(model)
        best.set_state(progress.states[0])
        best.restore_best()
        return progress.history
    start = progress.epochs_done if progress else 0
    resume = [ResumeTraining(paths.backup, stateful=[best])] if paths.backup else []
    history = model.fit(train_data(start * steps_per_epoch), epochs=epochs,
                        steps_per_epoch=steps_per_epoch, validation_data=validation_data,
                        verbose=verbose, callbacks=[*callbacks, *resume]).history
    history = resume[0].history if resume else history
    check_finite(history)
    return history


def check_finite(history: dict[str, list[float]]) -> None:
    """TrainingError if a loss ended non-finite (TerminateOnNaN stopped the run)."""
    for key, values in history.items():
        if values and not math.isfinite(values[-1]) and "loss" in key:
            raise TrainingError(f"training stopped: {key} became {values[-1]} at epoch "
                                f"{len(values)}; try a lower --lr")


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


def export_dir_of(config: RunConfig, run: RunFolder) -> Path | None:
    """Where the run's SavedModel goes, checked before training: it may be written there
    (``--overwrite`` replaces only a tfreid export) and lies apart from the run folder."""
    if not config.save_export:
        return None
    export_dir = Path(config.export or Path("exports") / run.name)
    check_not_nested({"--logdir": run.path, "--export": export_dir})
    check_new_output(export_dir, config.overwrite)
    ensure_writable_dir(export_dir.parent, "export folder")
    return export_dir


def execute_run(config: RunConfig, method: str, prefix: str,
                train: Callable[[RunFolder, dict[str, SplitArrays]],
                                tuple[keras.Model, dict[str, list[float]]]],
                lonely: str = "error") -> dict[str, Any]:
    """Open (or resume) the run folder, load the data, ``train(run, data)``, finish the run.

    ``train`` returns the trained encoder and the history. A kill or SIGTERM
    leaves the run folder to resume; the error line says so.
    """
    config.check()
    run = locate_run(method, config.to_dict(), prefix)
    with run.claim():
        started = time.time()
        try:
            export_dir = export_dir_of(config, run)
            if run.resumed:
                print(f"resuming run {run.name} in {run.path}", flush=True)
            data = load_reid_data(config, lonely)
            encoder, history = train(run, data)
            return finish_run(config, encoder, data, run, export_dir, history,
                              time.time() - started)
        except BaseException as error:
            run.discard_if_new()
            if isinstance(error, KeyboardInterrupt) and run.path.exists():
                error.add_note(f"run {run.name} is kept in {run.path}: rerun the same command "
                               "to resume it after its last finished epoch")
            raise


def finish_run(config: RunConfig, encoder: keras.Model, data: dict[str, SplitArrays],
               run: RunFolder, export_dir: Path | None, history: dict[str, list[float]],
               seconds: float) -> dict[str, Any]:
    """Save the encoder, evaluate on the held-out query/gallery, save the results, then export.

    The trained encoder (``encoder.keras``) and ``results.json`` are written
    before the export, so an export that fails (no permission, full disk)
    loses nothing: the error says how to export the run again.
    """
    run.save_encoder(encoder)
    test = evaluate_encoder(encoder, data["query"], data["gallery"])
    results = {
        "run": run.name, "method": run.method, "config": config.to_dict(),
        "logdir": str(run.path), "export": None,
        "epochs_run": max((len(values) for values in history.values()), default=0),
        "train_seconds": seconds,
        "test": {k: v for k, v in test.items() if k != "cmc"}, "test_cmc": test["cmc"].tolist(),
        "chance": chance_scores(data["query"], data["gallery"], config.seed),
        "history": history,
    }
    run.save_results(results)
    run.finish()
    if export_dir is not None:
        try:
            export_saved_model(encoder, export_dir, metadata={"run": run.name,
                                                              "metric": "euclidean"},
                               overwrite=config.overwrite)
        except Exception as error:
            raise OutputError(
                f"run {run.name} is saved in {run.path} (encoder.keras, results.json), but "
                f"exporting it to {export_dir} failed: {describe(error)}; export it again "
                f"with: python scripts/export.py {run.path} --float-only --out {export_dir}"
            ) from None
        results["export"] = str(export_dir)
        run.save_results(results)
    return results
