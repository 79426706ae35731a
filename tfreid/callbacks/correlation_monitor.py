"""Keras callback that tracks ranking and feature correlation during training."""

import math
from typing import Any

from tfreid.backend import keras
from tfreid.data.reader import SplitArrays
from tfreid.training.embedding import evaluate_encoder


class CorrelationMonitor(keras.callbacks.Callback):
    """Every ``every_n_epochs`` epochs, embed validation identities and score them.

    Adds ``val_rank1``, ``val_mAP``, ``val_mAC`` and ``val_CF`` (paper 000, eq.
    2-4) to the epoch's ``logs``. Keras hands one ``logs`` dict to every callback
    in turn, so callbacks listed after this one (TensorBoard, EarlyStopping,
    CSVLogger) and ``History`` see the values: TensorBoard writes them as
    ``epoch_rank1`` etc. in the run's ``validation`` folder.
    """

    def __init__(
        self, encoder: keras.Model, query: SplitArrays, gallery: SplitArrays,
        every_n_epochs: int = 1, metric: str = "euclidean",
    ):
        super().__init__()
        self.encoder = encoder
        self.query = query
        self.gallery = gallery
        self.every_n_epochs = every_n_epochs
        self.metric = metric

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None or (epoch + 1) % self.every_n_epochs:
            return
        if not math.isfinite(logs.get("loss", 0.0)):
            return  # TerminateOnNaN has stopped training; the weights are not worth scoring
        scores = evaluate_encoder(self.encoder, self.query, self.gallery, self.metric)
        for key in ("rank1", "mAP", "mAC", "CF"):
            logs[f"val_{key}"] = float(scores[key])
