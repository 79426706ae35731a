"""Keeping the best epoch: its weights on disk, early stopping, and a state that resumes."""

import math
from pathlib import Path
from typing import Any

from tfreid.backend import keras, serializable
from tfreid.callbacks.callback import Callback
from tfreid.errors import OutputError
from tfreid.io.atomic import atomic_directory
from tfreid.metrics.measures import MAP

WEIGHTS = "weights"  # checkpoint prefix inside the folder
MONITOR = f"val_{MAP.key}"  # the validation measure kept by default


def mode_of(monitor: str | None) -> str:
    """``max`` or ``min`` for a ``val_<key>`` of a registered measure (its
    ``higher_is_better``), ``min`` for a loss, ``max`` otherwise."""
    from tfreid.catalog import MEASURES

    key = (monitor or "").removeprefix("val_")
    if key in MEASURES:
        return "max" if MEASURES.get(key).higher_is_better else "min"
    return "min" if key.endswith("loss") else "max"


def is_chief(model: keras.Model) -> bool:
    """True on the process that writes files (always, without a multi-worker strategy)."""
    return bool(model.distribute_strategy.extended.should_checkpoint)


@serializable
class BestModelCheckpoint(Callback):
    """ModelCheckpoint(save_best_only) and EarlyStopping(restore_best_weights) in one.

    At each epoch end where ``monitor`` improves on the best value so far (by
    more than ``min_delta``), the weights are written as a TensorFlow checkpoint
    (``weights.index``, ``weights.data-*``) into the folder ``path``, staged and
    renamed as a whole, so a full disk or a kill never leaves a half-written
    checkpoint under the final name. (TensorFlow's format, not HDF5: it keys
    weights by object, so models holding two copies of a network, a student
    and its teacher, save too.) After ``patience`` epochs
    without improvement training stops. At the end of training the best
    epoch's weights are restored. ``get_state`` / ``set_state`` carry the best
    value, best epoch, waiting count and stop flag across a resumed run
    (``ResumeTraining``); the weights themselves come back from ``path``.
    ``mode`` defaults to the monitored measure's direction (``mode_of``).
    Epochs without the monitored value (a monitor that runs every N epochs)
    neither improve nor count towards patience. With ``monitor=None`` every
    epoch counts as the best: the last epoch is kept, and training never stops
    early (self-supervised training, which has no labelled validation).

    Example::

        from tfreid.callbacks import BestModelCheckpoint, CorrelationMonitor

        monitor = CorrelationMonitor(encoder, (images[0::2], labels[0::2], [0, 0, 0, 0]),
                                     (images[1::2], labels[1::2], [1, 1, 1, 1]))
        best = BestModelCheckpoint("logs/run/checkpoints/best", "val_mAP", "max")
        encoder.compile("adam", loss="triplet_margin")
        encoder.fit(images, labels, epochs=2, verbose=0, callbacks=[monitor, best])
        best.best_epoch  # 0-based
    """

    def __init__(self, path: str | Path, monitor: str | None = MONITOR, mode: str | None = None,
                 patience: int = 6, min_delta: float = 0.0):
        super().__init__()
        mode = mode_of(monitor) if mode is None else mode
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.path, self.monitor, self.mode = Path(path), monitor, mode
        self.patience, self.min_delta = int(patience), float(min_delta)
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped = False
        self._best_weights = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def _improves(self, value: float) -> bool:
        if self.best is None:
            return True
        gain = value - self.best if self.mode == "max" else self.best - value
        return gain > self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = epoch if self.monitor is None else (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        if self.monitor is None or self._improves(float(value)):
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            self._best_weights = self.model.get_weights()
            if is_chief(self.model):
                self._save()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped = True
            self.model.stop_training = True

    def _save(self) -> None:
        try:
            with atomic_directory(self.path, overwrite=True, kind="checkpoint") as staging:
                self.model.save_weights(str(staging / WEIGHTS))
        except (OSError, RuntimeError) as error:
            reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
            raise OutputError(f"cannot write checkpoint {self.path}: {reason}") from None

    def restore_best(self) -> None:
        """Set the model to the best epoch's weights (from memory, else from ``path``)."""
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)
        elif self.best_epoch is not None and (self.path / f"{WEIGHTS}.index").is_file():
            self.model.load_weights(str(self.path / WEIGHTS))

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.restore_best()

    def get_config(self) -> dict[str, Any]:
        return {"path": str(self.path), "monitor": self.monitor, "mode": self.mode,
                "patience": self.patience, "min_delta": self.min_delta}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BestModelCheckpoint":
        return cls(**config)

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped": self.stopped}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.wait, self.stopped = int(state["wait"]), bool(state["stopped"])
        self._best_weights = None
