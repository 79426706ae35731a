"""Keras callback that shows a grid of augmented training images in TensorBoard."""

import math
from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.callbacks.callback import Callback


def image_grid(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """Images (N, H, W, C) tiled row by row, ``columns`` (default ceil(sqrt(N))) to a row,
    empty cells black: one ``(rows*H, columns*W, C)`` image."""
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cells = np.zeros((rows * columns, height, width, channels), images.dtype)
    cells[:count] = images
    tiles = cells.reshape(rows, columns, height, width, channels)
    return tiles.transpose(0, 2, 1, 3, 4).reshape(rows * height, columns * width, channels)


class AugmentedImages(Callback):
    """At the start of training, write a grid of the first training batch's augmented images.

    ``images`` is (N, H, W, C) uint8 (the first ``count`` are shown). The grid appears
    under IMAGES as ``train_augment/images``, as ``PairImages`` writes its pairs.
    """

    def __init__(self, log_dir: str, images: np.ndarray, count: int = 16):
        super().__init__()
        self.log_dir = log_dir
        self.images = np.asarray(images)
        self.count = count

    def get_config(self) -> dict[str, Any]:
        """The JSON-able settings; the ``images`` are left out (as ``PairImages``' pairs)."""
        return {"log_dir": self.log_dir, "count": self.count}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        grid = image_grid(self.images[: self.count])
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            tf.summary.image("train_augment/images", grid[None], step=0)
        writer.close()
