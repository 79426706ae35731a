"""Keras callback that tracks ranking and feature correlation during training."""

import math
from typing import Any

import numpy as np

from tfreid.backend import check_tf_keras, keras, tf
from tfreid.callbacks.callback import Callback
from tfreid.evaluation.embedding import as_split, embed, score_embeddings
from tfreid.metrics import feature_correlation_matrix
from tfreid.metrics.measure import EPOCH

BAR_WIDTH, BAR_GAP, LABEL_WIDTH = 16, 8, 34


def correlation_image(embeddings: np.ndarray, min_side: int = 256) -> np.ndarray:
    """|corr| of the features as an RGB uint8 image with its colour bar.

    The (S, S) heat map (viridis: dark violet = 0, yellow = 1; each feature a
    square of S / D px) is followed by a gap, a bar running from 1 (top) to 0
    (bottom) and the labels 1, 0.5 and 0 beside it.
    """
    from matplotlib import colormaps
    from PIL import Image, ImageDraw

    colours = colormaps["viridis"]
    corr = np.abs(feature_correlation_matrix(embeddings))
    scale = max(1, -(-min_side // corr.shape[0]))
    side = corr.shape[0] * scale
    heat = colours(np.kron(corr, np.ones((scale, scale))))[..., :3]
    bar = colours(np.linspace(1.0, 0.0, side))[:, None, :3].repeat(BAR_WIDTH, axis=1)
    canvas = np.ones((side, side + BAR_GAP + BAR_WIDTH + LABEL_WIDTH, 3))
    canvas[:, :side], canvas[:, side + BAR_GAP:side + BAR_GAP + BAR_WIDTH] = heat, bar
    image = Image.fromarray((canvas * 255).round().astype(np.uint8))
    draw, left = ImageDraw.Draw(image), side + BAR_GAP + BAR_WIDTH + 3
    for value, top in (("1", 0), ("0.5", side // 2 - 5), ("0", side - 11)):
        draw.text((left, top), value, fill="black")
    return np.asarray(image)


def ranked_queries_image(query_embeddings: np.ndarray, query, gallery_embeddings: np.ndarray,
                         gallery, rows: np.ndarray, metric: str, k: int = 8) -> np.ndarray:
    """The ranked gallery of the queries at ``rows`` (``ranked_results_image``), entries of
    the query's identity and camera left out as in the evaluation."""
    from tfreid.data.split_images import as_images
    from tfreid.metrics import pairwise_distances
    from tfreid.metrics.ranking import same_camera
    from tfreid.plots.ranked import ranked_results_image

    distances = pairwise_distances(query_embeddings[rows], gallery_embeddings, metric)
    same_id = query.identities[rows, None] == gallery.identities[None, :]
    distances[same_id & same_camera(query.cameras[rows], gallery.cameras)] = np.inf
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    gallery_images = as_images(gallery.images)
    ranked = gallery_images.rows(nearest.reshape(-1)).reshape(
        *nearest.shape, *gallery_images.shape[1:])
    matches = np.take_along_axis(same_id, nearest, axis=1)
    captions = [[f"{i + 1}: {d:.2f}" for i, d in enumerate(row)]
                for row in np.take_along_axis(distances, nearest, axis=1)]
    return ranked_results_image(list(as_images(query.images).rows(rows)), list(ranked),
                                matches.tolist(), captions)


class CorrelationMonitor(Callback):
    """Every ``every_n_epochs`` epochs, embed validation identities and score them.

    Adds ``val_<key>`` of every measure with the ``epoch`` place (``tfreid.catalog.MEASURES``:
    ``val_rank1``, ``val_mAP``, ``val_mAC`` and ``val_CF``, paper 000, eq. 2-4) to the
    epoch's ``logs``. Keras hands one ``logs`` dict to every callback
    in turn, so callbacks listed after this one (TensorBoard, EarlyStopping,
    CSVLogger) and ``History`` see the values: TensorBoard writes them as
    ``epoch_rank1`` etc. in the run's ``validation`` folder. With ``log_dir``,
    the |correlation| matrix of the features is written there as an image too.

    ``query`` and ``gallery`` are ``SplitArrays``, ``(images, identities[,
    cameras])`` arrays or ``tf.data.Dataset`` s of dicts (``image``, ``identity``,
    ``camera``), read once. With ``log_dir``, the ranked gallery of
    ``ranked_queries`` fixed queries (spread over the query set) is written as
    the image ``ranked_results`` each time: the query, then its nearest entries,
    true matches framed green and false ones red.

    Example::

        from tfreid.callbacks import CorrelationMonitor

        monitor = CorrelationMonitor(encoder, (images[0::2], labels[0::2], [0, 0, 0, 0]),
                                     (images[1::2], labels[1::2], [1, 1, 1, 1]))  # camera ids
        encoder.compile("adam", loss="triplet_margin")
        history = encoder.fit(images, labels, epochs=1, verbose=0, callbacks=[monitor])
        history.history["val_mAP"], history.history["val_mAC"]
    """

    def __init__(
        self, encoder: keras.Model, query, gallery,
        every_n_epochs: int = 1, metric: str = "euclidean", log_dir: str | None = None,
        ranked_queries: int = 4,
    ):
        super().__init__()
        check_tf_keras(encoder, "the encoder")
        self.encoder = encoder
        self.query = as_split(query)
        self.gallery = as_split(gallery)
        self.every_n_epochs = every_n_epochs
        self.metric = metric
        self.log_dir = log_dir
        self.ranked_queries = ranked_queries
        count = min(ranked_queries, len(self.query))
        self.ranked_rows = np.unique(np.linspace(0, len(self.query) - 1, count).astype(int))

    def get_config(self) -> dict[str, Any]:
        """The JSON-able settings; the ``encoder`` and the ``query`` and ``gallery`` data
        are left out (as Keras leaves out arguments it cannot serialise) and must be
        passed again to rebuild the callback."""
        return {"every_n_epochs": self.every_n_epochs, "metric": self.metric,
                "log_dir": self.log_dir, "ranked_queries": self.ranked_queries}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None or (epoch + 1) % self.every_n_epochs:
            return
        if not math.isfinite(logs.get("loss", 0.0)):
            return  # TerminateOnNaN has stopped training; the weights are not worth scoring
        query_embeddings = embed(self.encoder, self.query.images)
        gallery_embeddings = embed(self.encoder, self.gallery.images)
        scores = score_embeddings(query_embeddings, self.query, gallery_embeddings,
                                  self.gallery, self.metric)
        for measure, value in scores.measures(EPOCH):
            logs[f"val_{measure.key}"] = float(value)
        if self.log_dir:
            correlation = correlation_image(np.concatenate([query_embeddings,
                                                            gallery_embeddings]))
            ranked = ranked_queries_image(query_embeddings, self.query, gallery_embeddings,
                                          self.gallery, self.ranked_rows, self.metric)
            writer = tf.summary.create_file_writer(self.log_dir)
            with writer.as_default():
                tf.summary.image("feature_correlation", correlation[None], step=epoch)
                tf.summary.image("ranked_results", ranked[None], step=epoch)
            writer.close()
