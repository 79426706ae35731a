"""Fitting a model the way every method is fitted: monitor, best epoch, TensorBoard, resume."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfreid.backend import keras, tf
from tfreid.callbacks.best_checkpoint import BestModelCheckpoint
from tfreid.callbacks.correlation_monitor import CorrelationMonitor
from tfreid.callbacks.epoch_logger import EpochLogger
from tfreid.callbacks.learning_rate import LearningRateLogger
from tfreid.callbacks.projector import EmbeddingProjector
from tfreid.callbacks.resume import ResumeTraining, read_progress
from tfreid.errors import TrainingError
from tfreid.training.run_folder import RunFolder
from tfreid.training.worker_input import training_input


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
        return cls(logdir, run.path / "checkpoints" / part / "best",
                   run.resume_dir / part if part else run.resume_dir)

    @classmethod
    def plain(cls, logdir: Path) -> "FitPaths":
        """A fit without resume (fine-tuning inside a larger job), logging to ``logdir``."""
        return cls(Path(logdir), Path(logdir) / "checkpoints" / "best")


def standard_callbacks(config, encoder: keras.Model, data: dict, paths: FitPaths,
                       verbose: int) -> tuple[list[keras.callbacks.Callback],
                                              BestModelCheckpoint]:
    """The learning rate in the logs, monitor (rank-1/mAP/mAC/CF), NaN stop, TensorBoard,
    best epoch (checkpoint and early stop) and, if ``verbose``, one line per epoch; the
    best-epoch callback on its own too.

    Without validation identities (self-supervised training, which sees no
    label) nothing is monitored: every epoch is checkpointed, training runs all
    its epochs and the last one is kept.
    """
    validated = "val_query" in data
    best = BestModelCheckpoint(paths.checkpoint, monitor="val_mAP" if validated else None,
                               mode="max", patience=config.patience)
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(paths.logdir), write_graph=False, profile_batch=0),
        best,
    ]
    if validated:
        callbacks.insert(0, CorrelationMonitor(encoder, data["val_query"], data["val_gallery"],
                                               config.monitor_every,
                                               log_dir=str(paths.logdir / "validation")))
        if config.projector_every:
            callbacks.append(EmbeddingProjector(encoder, data["val_query"], data["val_gallery"],
                                                paths.logdir / "validation",
                                                config.projector_every))
    if verbose:
        callbacks.append(EpochLogger())
    return [LearningRateLogger(), *callbacks], best


def fit_resumable(model: keras.Model, train_data: Callable[[int], tf.data.Dataset],
                  steps_per_epoch: int, epochs: int, paths: FitPaths,
                  callbacks: list[keras.callbacks.Callback], best: BestModelCheckpoint,
                  validation_data: Any = None,
                  first_start: tuple[keras.callbacks.Callback, ...] = ()
                  ) -> dict[str, list[float]]:
    """``model.fit`` that a rerun resumes at its last finished epoch; the whole history.

    ``train_data(start_step)`` must give the endless training stream from global
    step ``start_step`` on, so a resumed run sees the batches an uninterrupted
    one would. Training that had ended before a kill (early stop or all epochs)
    is not repeated: the best epoch's weights are restored instead.
    ``first_start`` callbacks run only when training starts at epoch 1.
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
    extra = list(first_start) if start == 0 else []
    history = model.fit(training_input(train_data, start * steps_per_epoch), epochs=epochs,
                        steps_per_epoch=steps_per_epoch, validation_data=validation_data,
                        verbose=0, callbacks=[*callbacks, *extra, *resume]).history
    history = resume[0].history if resume else history
    check_finite(history)
    return history


def check_finite(history: dict[str, list[float]]) -> None:
    """TrainingError if a loss ended non-finite (TerminateOnNaN stopped the run)."""
    for key, values in history.items():
        if values and not math.isfinite(values[-1]) and "loss" in key:
            raise TrainingError(f"training stopped: {key} became {values[-1]} at epoch "
                                f"{len(values)}; try a lower --lr")
