"""What turns images into embeddings for an index: a Keras encoder, a SavedModel export
or a TFLite (int8) model, behind one interface.

``embedder_for(source)`` takes a ``keras.Model``, a tfreid SavedModel folder
(``tfreid.json`` beside it) or a ``.tflite`` file, and gives an ``Embedder``:
``image_size`` (what the model sees), ``dim``, ``name`` (recorded in an index's
manifest) and ``embed(images)`` for uint8 images of that size.
``embed_batches`` embeds an array, ``RecordImages`` or any iterable of batches,
with a progress line on stderr.
"""

import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import keras, tf
from tfreid.data.record_images import RecordImages
from tfreid.errors import DataError, one_line


@dataclass
class Embedder:
    """A model that embeds uint8 images (B, H, W, 3) of ``image_size`` into (B, dim)."""

    embed: Callable[[np.ndarray], np.ndarray]
    image_size: tuple[int, int]
    dim: int
    name: str


def _keras_embedder(encoder: keras.Model) -> Embedder:
    def embed(images: np.ndarray) -> np.ndarray:
        return np.asarray(encoder(images, training=False), np.float32)

    return Embedder(embed, tuple(int(n) for n in encoder.input_shape[1:3]),
                    int(encoder.output_shape[-1]), f"keras:{encoder.name}")


_EXPORT_AGAIN = "export it again with tfreid export"


def _saved_model_embedder(folder: Path) -> Embedder:
    from tfreid.export.saved_model import METADATA_NAME

    try:
        info = json.loads((folder / METADATA_NAME).read_text())
        image_size, dim = tuple(info["image_size"]), int(info["embedding_dim"])
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{folder / METADATA_NAME} is damaged ({one_line(str(error))}); "
                        f"{_EXPORT_AGAIN}") from None
    serve = tf.saved_model.load(str(folder)).signatures["serving_default"]

    def embed(images: np.ndarray) -> np.ndarray:
        return serve(images=tf.constant(images, tf.uint8))["embeddings"].numpy()

    return Embedder(embed, image_size, dim, f"saved_model:{folder.resolve()}")


def _tflite_embedder(path: Path) -> Embedder:
    from tfreid.compression.tflite import TFLiteEmbedder

    try:
        model = TFLiteEmbedder(path.read_bytes())
    except (ValueError, RuntimeError):  # TFLite: "The model is not a valid Flatbuffer buffer"
        raise DataError(f"{path} is not a valid TFLite model (damaged, truncated, or not a "
                        f".tflite file); {_EXPORT_AGAIN}") from None
    dim = int(model.output["shape"][-1])
    return Embedder(lambda images: model(images, batch_size=len(images)),
                    tuple(int(n) for n in model.input["shape"][1:3]), dim,
                    f"tflite:{path.resolve()}")


def embedder_for(source: Any) -> Embedder:
    """An ``Embedder`` of a Keras encoder, SavedModel folder or ``.tflite`` file."""
    if isinstance(source, Embedder):
        return source
    if isinstance(source, keras.Model):
        return _keras_embedder(source)
    path = Path(source)
    if path.is_file() and path.suffix == ".tflite":
        return _tflite_embedder(path)
    if path.is_dir() and (path / "saved_model.pb").is_file():
        if not (path / "tfreid.json").is_file():
            raise DataError(f"{path} is a SavedModel but not a tfreid export (no tfreid.json)")
        return _saved_model_embedder(path)
    raise DataError(f"{source} is neither a tfreid SavedModel export nor a .tflite file")


def _batches(images: Any, batch_size: int) -> Iterable[np.ndarray]:
    if isinstance(images, RecordImages):
        return images.batches(batch_size)
    if isinstance(images, np.ndarray):
        return (images[start:start + batch_size] for start in range(0, len(images), batch_size))
    return images


class Progress:
    """``embedded 300/1200 images`` on stderr (stdout stays for results), redrawn in place
    on a terminal, printed once at the end otherwise."""

    def __init__(self, total: int):
        self.total, self.started = total, time.perf_counter()
        self.live = sys.stderr.isatty()

    def update(self, done: int) -> None:
        if self.live or done == self.total:
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            end = "\n" if done == self.total else ""
            print(f"\rembedded {done}/{self.total} images ({rate:.0f}/s)", end=end,
                  file=sys.stderr, flush=True)


def embed_batches(embedder: Embedder, images: Any, batch_size: int = 128,
                  progress: bool = True) -> np.ndarray:
    """Embeddings (N, dim) of an image array, ``RecordImages`` or an iterable of uint8
    batches already at ``embedder.image_size``, batch by batch, with a progress line
    (``Progress``) when ``progress`` and the count is known."""
    total = len(images) if hasattr(images, "__len__") else None
    bar = Progress(total) if progress and total else None
    parts, done = [], 0
    for batch in _batches(images, batch_size):
        batch = np.asarray(batch, np.uint8)
        if tuple(batch.shape[1:3]) != embedder.image_size:
            raise DataError(f"images of {batch.shape[1]}x{batch.shape[2]} px given to a model "
                            f"of {embedder.image_size[0]}x{embedder.image_size[1]} px")
        parts.append(np.asarray(embedder.embed(batch), np.float32))
        done += len(batch)
        if bar is not None:
            bar.update(done)
    embeddings = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)
    if not np.isfinite(embeddings).all():
        raise DataError("the model gives non-finite embeddings")
    return embeddings
