"""Resuming a killed run: Keras' BackupAndRestore plus the callbacks' own state and history."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tfreid.backend import keras, serializable, tf
from tfreid.callbacks.best_checkpoint import is_chief
from tfreid.callbacks.callback import RefusesKeras3Model
from tfreid.errors import DataError
from tfreid.io.atomic import write_json

EPOCH_KEY = "ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE"


class Stateful(Protocol):
    def get_state(self) -> dict[str, Any]: ...

    def set_state(self, state: dict[str, Any]) -> None: ...


@dataclass
class Progress:
    """What a backup says of a run: epochs finished, the callbacks' states, the history."""

    epochs_done: int = 0
    states: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)


def _state_path(backup_dir: Path, epoch: int) -> Path:
    return backup_dir / f"state-{epoch:05d}.json"


def read_progress(backup_dir: str | Path) -> Progress:
    """The progress saved in ``backup_dir`` (nothing done if there is no backup)."""
    backup_dir = Path(backup_dir)
    latest = tf.train.latest_checkpoint(str(backup_dir / "chief"))
    if latest is None:
        return Progress()
    epoch = int(tf.train.load_checkpoint(latest).get_tensor(EPOCH_KEY))
    if epoch < 0:
        return Progress()
    try:
        state = json.loads(_state_path(backup_dir, epoch).read_text())
    except (OSError, ValueError) as error:
        raise DataError(f"the backup in {backup_dir} is incomplete ({error}); remove that "
                        "folder to start the run again from epoch 1") from None
    return Progress(epoch + 1, state["states"], state["history"])


@serializable
class ResumeTraining(RefusesKeras3Model, keras.callbacks.BackupAndRestore):
    """BackupAndRestore that brings back the other callbacks' state and the history too.

    Keras' BackupAndRestore checkpoints the model, optimizer and epoch at each
    epoch end and restores them when ``fit`` starts again, so a killed run goes
    on from its last finished epoch. This subclass also saves, just before that
    checkpoint, ``state-<epoch>.json``: the history so far and the
    ``get_state()`` of each callback in ``stateful`` (early stopping counts, the
    best value), and gives them back on restore. Put it last in the callback
    list, so the states it saves are those of the finished epoch. The backup is
    kept after ``fit`` (the run folder removes it once results are saved).

    Example::

        from tfreid.callbacks import BestModelCheckpoint, ResumeTraining

        best = BestModelCheckpoint("logs/run/checkpoints/best", "loss", "min")
        resume = ResumeTraining("logs/run/resume", stateful=[best])
        encoder.compile("adam", loss="triplet_margin")
        encoder.fit(images, labels, epochs=2, verbose=0, callbacks=[best, resume])
        resume.history  # every epoch, also those of an earlier, killed attempt
    """

    def __init__(self, backup_dir: str | Path, stateful: list[Stateful] | tuple = ()):
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=False)
        self.backup_path = Path(backup_dir)
        self.stateful = list(stateful)
        self.history: dict[str, list[float]] = {}

    def get_config(self) -> dict[str, Any]:
        return {"backup_dir": str(self.backup_path)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ResumeTraining":
        return cls(**config)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        progress = read_progress(self.backup_path)
        self.history = progress.history
        for callback, state in zip(self.stateful, progress.states, strict=False):
            callback.set_state(state)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if is_chief(self.model):
            self.backup_path.mkdir(parents=True, exist_ok=True)
            write_json(_state_path(self.backup_path, epoch),
                       {"epoch": epoch, "history": self.history,
                        "states": [callback.get_state() for callback in self.stateful]})
        super().on_epoch_end(epoch, logs)
        if is_chief(self.model):
            _state_path(self.backup_path, epoch - 2).unlink(missing_ok=True)
