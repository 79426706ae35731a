"""Keras callback that tracks ranking and feature correlation during training."""

import math
from typing import Any

import numpy as np

from tfreid.backend import check_tf_keras, keras, tf
from tfreid.evaluation.embedding import as_split, embed, score_embeddings
from tfreid.metrics import feature_correlation_matrix


def correlation_image(embeddings: np.ndarray, min_side: int = 256) -> np.ndarray:
    """|corr| of the features as a (S, S, 1) uint8 image: white = |corr| 1, black = 0."""
    corr = np.abs(feature_correlation_matrix(embeddings))
    scale = max(1, -(-min_side // corr.shape[0]))
    pixels = np.kron(corr, np.ones((scale, scale)))
    return (pixels * 255).round().astype(np.uint8)[..., None]


class CorrelationMonitor(keras.callbacks.Callback):
    """Every ``every_n_epochs`` epochs, embed validation identities and score them.

    Adds ``val_rank1``, ``val_mAP``, ``val_mAC`` and ``val_CF`` (paper 000, eq.
    2-4) to the epoch's ``logs``. Keras hands one ``logs`` dict to every callback
    in turn, so callbacks listed after this one (TensorBoard, EarlyStopping,
    CSVLogger) and ``History`` see the values: TensorBoard writes them as
    ``epoch_rank1`` etc. in the run's ``validation`` folder. With ``log_dir``,
    the |correlation| matrix of the features is written there as an image too.

    ``query`` and ``gallery`` are ``SplitArrays``, ``(images, identities[,
    cameras])`` arrays or ``tf.data.Dataset`` s of dicts (``image``, ``identity``,
    ``camera``), read once.

    Example::

        monitor = CorrelationMonitor(encoder, (q_images, q_ids), (g_images, g_ids))
        model.fit(data, epochs=10, callbacks=[monitor])  # history has val_mAP, val_mAC ...
    """

    def __init__(
        self, encoder: keras.Model, query, gallery,
        every_n_epochs: int = 1, metric: str = "euclidean", log_dir: str | None = None,
    ):
        super().__init__()
        check_tf_keras(encoder, "the encoder")
        self.encoder = encoder
        self.query = as_split(query)
        self.gallery = as_split(gallery)
        self.every_n_epochs = every_n_epochs
        self.metric = metric
        self.log_dir = log_dir

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None or (epoch + 1) % self.every_n_epochs:
            return
        if not math.isfinite(logs.get("loss", 0.0)):
            return  # TerminateOnNaN has stopped training; the weights are not worth scoring
        query_embeddings = embed(self.encoder, self.query.images)
        gallery_embeddings = embed(self.encoder, self.gallery.images)
        scores = score_embeddings(query_embeddings, self.query, gallery_embeddings,
                                  self.gallery, self.metric)
        for key in ("rank1", "mAP", "mAC", "CF"):
            logs[f"val_{key}"] = float(scores[key])
        if self.log_dir:
            image = correlation_image(np.concatenate([query_embeddings, gallery_embeddings]))
            writer = tf.summary.create_file_writer(self.log_dir)
            with writer.as_default():
                tf.summary.image("feature_correlation", image[None], step=epoch)
            writer.close()
