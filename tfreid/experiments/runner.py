"""Run a sweep of triplet trainings over folds, one JSON line per finished run.

The results file is the sweep's memory: a run whose key (its settings and
fold) is already there is not run again, so an interrupted sweep resumes and a
sweep extended with new values runs only those. Lines are appended whole and
flushed to disk as each run ends. A run that finished but whose line is missing
(a torn last line, dropped with a warning) is not trained again: its row is
rebuilt from the run's own ``results.json``.
"""

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tfreid.io.jsonl import append_row, read_rows
from tfreid.training.config import RunConfig
from tfreid.training.run_folder import finished_results

HISTORY_KEYS = ("loss", "val_rank1", "val_mAP", "val_mAC", "val_CF")


def run_key(variant: dict[str, Any], fold: int, folds: int, seed: int) -> str:
    """The identity of one run: its setting, and which fold of which split it tests on."""
    return json.dumps({"variant": variant, "fold": fold, "folds": folds, "seed": seed},
                      sort_keys=True)


def _row(variant: dict, fold: int, config: RunConfig, results: dict) -> dict[str, Any]:
    test = results["test"]
    return {"key": run_key(variant, fold, config.folds, config.seed), "variant": variant,
            "fold": fold, "config": config.to_dict(), "rank1": test["rank1"], "mAP": test["mAP"],
            "mAC": test["mAC"], "CF": test["CF"], "epochs": results["epochs_run"],
            "seconds": results["train_seconds"],
            "history": {k: v for k, v in results["history"].items() if k in HISTORY_KEYS}}


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def run_sweep(
    base: RunConfig, variants: Sequence[dict[str, Any]], folds: int, results_path: str | Path,
    train: Callable[[RunConfig], dict[str, Any]], log_root: str | Path,
    progress: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Train every (variant, fold) not yet in ``results_path``; return this sweep's rows.

    Rows of other sweeps in the same file (other values, fold counts or seeds)
    are kept in the file but not returned. ``progress`` gets one line per
    finished run: which, its rank-1, time so far and an estimate of what remains.
    """
    results_path = Path(results_path)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    done = {row["key"] for row in read_rows(results_path)}
    todo = [(variant, fold) for variant in variants for fold in range(folds)
            if run_key(variant, fold, folds, base.seed) not in done]
    started = time.perf_counter()
    for number, (variant, fold) in enumerate(todo, start=1):
        name = "-".join(f"{k}{v}" for k, v in variant.items()) + f"-fold{fold}"
        config = base.replace(**variant, folds=folds, fold=fold, run_name=name,
                              logdir=str(Path(log_root) / name), save_export=False)
        results = finished_results(config.method, config.to_dict())
        restored = results is not None
        row = _row(variant, fold, config, results if restored else train(config))
        append_row(results_path, row)
        elapsed = time.perf_counter() - started
        remaining = elapsed / number * (len(todo) - number)
        how = f"finished before, row restored from {config.logdir}/results.json; " \
            if restored else ""
        progress(f"run {number}/{len(todo)} {name}: rank-1 {row['rank1']:.3f}, mAP "
                 f"{row['mAP']:.3f}, {row['epochs']} epochs; {how}{_duration(elapsed)} so "
                 f"far, about {_duration(remaining)} left")
    wanted = {run_key(v, fold, folds, base.seed) for v in variants for fold in range(folds)}
    return [row for row in read_rows(results_path) if row["key"] in wanted]
