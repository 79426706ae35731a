"""Run a sweep of triplet trainings over folds, one JSON line per finished run.

The results file is the sweep's memory: a run whose key (its settings and
fold) is already there is not run again, so an interrupted sweep resumes and a
sweep extended with new values runs only those. Each row is recorded
atomically as its run ends (``tfreid.experiments.resumable``). A run that
finished but whose line is missing (a torn last line of a file written before,
dropped with a warning) is not trained again: its row is rebuilt from the run's
own ``results.json``.
"""

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tfreid.experiments.resumable import Finished, resumable_rows
from tfreid.metrics.measure import EPOCH, SWEEP, keys
from tfreid.metrics.measures import MAP, RANK1
from tfreid.training.config import RunConfig
from tfreid.training.run_folder import finished_results

# a row's history: the loss and the per-epoch validation measures (``epoch`` place)
HISTORY_KEYS = ("loss", *(f"val_{key}" for key in keys(EPOCH)))


def run_key(variant: dict[str, Any], fold: int, folds: int, seed: int) -> str:
    """The identity of one run: its setting, and which fold of which split it tests on."""
    return json.dumps({"variant": variant, "fold": fold, "folds": folds, "seed": seed},
                      sort_keys=True)


def _row(variant: dict, fold: int, config: RunConfig, results: dict) -> dict[str, Any]:
    test = results["test"]  # the sweep measures (``sweep`` place) a run's results.json has
    return {"key": run_key(variant, fold, config.folds, config.seed), "variant": variant,
            "fold": fold, "config": config.to_dict(),
            **{key: test[key] for key in keys(SWEEP) if key in test},
            "epochs": results["epochs_run"],
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
    plan = {run_key(variant, fold, folds, base.seed): (variant, fold)
            for variant in variants for fold in range(folds)}

    def config_of(key: str) -> RunConfig:
        variant, fold = plan[key]
        name = "-".join(f"{k}{v}" for k, v in variant.items()) + f"-fold{fold}"
        return base.replace(**variant, folds=folds, fold=fold, run_name=name,
                            logdir=str(Path(log_root) / name), save_export=False)

    def restore(key: str) -> dict[str, Any] | None:
        config = config_of(key)
        results = finished_results(config.method, config.to_dict())
        return None if results is None else _row(*plan[key], config, results)

    def run_one(key: str) -> dict[str, Any]:
        config = config_of(key)
        return _row(*plan[key], config, train(config))

    def report(done: Finished) -> None:
        config, row = config_of(done.key), done.row
        remaining = done.seconds / done.number * (done.todo - done.number)
        how = f"finished before, row restored from {config.logdir}/results.json; " \
            if done.restored else ""
        progress(f"run {done.number}/{done.todo} {config.run_name}: rank-1 {row[RANK1.key]:.3f}, "
                 f"mAP {row[MAP.key]:.3f}, {row['epochs']} epochs; {how}"
                 f"{_duration(done.seconds)} so far, about {_duration(remaining)} left")

    return resumable_rows(plan, run_one, results_path, restore, report)
