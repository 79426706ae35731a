"""Keras callback that shows sample training pairs in TensorBoard."""

from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.callbacks.callback import Callback


def pair_grid(image_a: np.ndarray, image_b: np.ndarray) -> np.ndarray:
    """Pairs (N, H, W, 3) side by side, N rows stacked: one ``(N*H, 2*W, 3)`` image."""
    return np.concatenate(np.concatenate([image_a, image_b], axis=2), axis=0)


class PairImages(Callback):
    """At the start of training, write grids of same- and different-identity pairs.

    ``pairs`` is one batch of the pair dataset, ({"image_a", "image_b"}, labels).
    The grids appear under IMAGES as ``sample_pairs/same`` and
    ``sample_pairs/different``; each row is one pair.
    """

    def __init__(self, log_dir: str, pairs: tuple[dict[str, Any], Any], rows: int = 6):
        super().__init__()
        self.log_dir = log_dir
        self.pairs = pairs
        self.rows = rows

    def get_config(self) -> dict[str, Any]:
        """The JSON-able settings; the ``pairs`` batch (arrays) is left out (as Keras leaves
        out arguments it cannot serialise) and must be passed again to rebuild the callback."""
        return {"log_dir": self.log_dir, "rows": self.rows}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        inputs, targets = self.pairs
        label = np.asarray(next(iter(targets.values())))
        image_a, image_b = np.asarray(inputs["image_a"]), np.asarray(inputs["image_b"])
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            for name, wanted in (("same", 1), ("different", 0)):
                chosen = np.flatnonzero(label == wanted)[: self.rows]
                grid = pair_grid(image_a[chosen], image_b[chosen])
                tf.summary.image(f"sample_pairs/{name}", grid[None], step=0)
        writer.close()
