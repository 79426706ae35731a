"""``Embedder``: the one way tfreid turns images into embeddings.

``embedder_for(source)`` takes a Keras encoder, a tfreid SavedModel export folder
(``tfreid.json`` beside it), a ``.tflite`` file (or its bytes, or a ``TFLiteModel``) and
gives an ``Embedder``: ``image_size`` (what the model sees), ``dim``, ``name`` (what an
index's manifest records) and ``embed(images, batch_size=None, progress=False)``.

``images`` is a ``tfreid.data.split_images.SplitImages`` (``ArrayImages`` in memory,
``RecordImages`` read from TFRecord shards), a uint8 array (N, H, W, 3), or an iterable of
uint8 batches (image files read batch by batch; a ``len``, if it has one, counts images).
Every model embeds batch by batch in inference mode under the same rules:

* one batch size rule (``batch_size_for``): ``EMBEDDING_PIXELS`` pixels a batch at most,
  256 images of up to 90 x 90 px, 128 of 128 x 128 px, never fewer than 8;
* one size check: a Keras or TFLite model takes images of its own size (a DataError names
  both sizes otherwise); a SavedModel export resizes any size itself;
* one finiteness check (``check_finite``): a TrainingError, the same words for every model;
* ``progress``: ``embedded 300/1200 images`` on stderr (``Progress``).

Test-time flip (``embedder_for(source, flip=True)`` or ``Embedder.with_flip()``): each
embedding is the mean of the raw embeddings of the image and of its horizontal mirror
(``images[:, :, ::-1]``, the width axis of NHWC), as BoT (Luo et al. 2019) and fast-reid's
flip test average the features. The mean is taken before any normalisation: with the cosine
metric the averaged embedding is normalised when compared, as they do. A SavedModel exported
with flip (``tfreid export --float-only --flip``) averages inside its graph; its Embedder
does not flip again, and asking it to is a ConfigError (no double flip).
"""

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import check_tf_keras, keras
from tfreid.data.split_images import SplitImages, as_images
from tfreid.errors import ConfigError, DataError, TrainingError
from tfreid.inference.saved_model import EXPORT_AGAIN, is_saved_model, load_serving
from tfreid.inference.tflite import TFLiteModel, read_tflite

EMBEDDING_PIXELS = 2**21  # pixels a batch holds at most by default (128 images of 128 px)
MIN_BATCH, MAX_BATCH = 8, 256
NON_FINITE = "the model gives non-finite embeddings (diverged training?)"


def batch_size_for(image_size: tuple[int, int]) -> int:
    """The default batch size for images of ``image_size`` (H, W): EMBEDDING_PIXELS // (H x W)
    images, within [MIN_BATCH, MAX_BATCH]."""
    pixels = max(int(image_size[0]) * int(image_size[1]), 1)
    return int(np.clip(EMBEDDING_PIXELS // pixels, MIN_BATCH, MAX_BATCH))


def check_finite(embeddings: np.ndarray) -> np.ndarray:
    """``embeddings`` if every value is finite; TrainingError otherwise."""
    if not np.isfinite(embeddings).all():
        raise TrainingError(NON_FINITE)
    return embeddings


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


def image_batches(images: Any, batch_size: int | None = None
                  ) -> tuple[Iterable[np.ndarray], int | None]:
    """(batches, number of images or None) of ``images`` (module docstring): a
    ``SplitImages`` or array in batches of ``batch_size`` (``batch_size_for`` its size by
    default), an iterable of batches as it comes."""
    if isinstance(images, SplitImages) or hasattr(images, "shape"):
        images = as_images(images)
        size = batch_size or batch_size_for(images.shape[1:3])
        return images.batches(size), len(images)
    if isinstance(images, list | tuple):
        return images, sum(len(batch) for batch in images)
    return images, len(images) if hasattr(images, "__len__") else None


@dataclass
class Embedder:
    """A model that embeds uint8 images (B, H, W, 3) into float32 (B, dim).

    ``run`` embeds one batch; ``image_size`` is what the model sees, and what a batch must
    have unless ``resizes`` (a SavedModel export resizes any size); ``model`` is what runs
    (the Keras model, the SavedModel's signature, the ``TFLiteModel``).

    ``flip``: each embedding is the mean of the raw embeddings of the image and its mirror
    (module docstring), both halves in one call of ``run`` on a doubled batch (a batch of B
    images runs as 2B) where ``doubles_batch``, else in two calls. ``flips_inside``: the
    model itself averages image and mirror (a flip export), so ``with_flip`` refuses.
    """

    run: Callable[[np.ndarray], np.ndarray]
    image_size: tuple[int, int] | None
    dim: int
    name: str
    resizes: bool = False
    model: Any = None
    flip: bool = False
    flips_inside: bool = False
    doubles_batch: bool = True

    @property
    def flips(self) -> bool:
        """Whether the embeddings are test-time flip ones (here or inside the model)."""
        return self.flip or self.flips_inside

    def with_flip(self) -> "Embedder":
        """This Embedder with test-time flip (itself if it flips already); a ConfigError for
        a model that averages image and mirror itself (flipping again would double it)."""
        if self.flips_inside:
            raise ConfigError(f"{self.name} was exported with --flip: it averages each image "
                              "and its mirror itself; embed without --flip")
        if self.flip:
            return self
        return dataclasses.replace(self, flip=True, name=f"{self.name}+flip")

    def _run(self, batch: np.ndarray) -> np.ndarray:
        """Float32 embeddings of one checked, non-empty batch (with ``flip``: the mean of the
        image's and the mirror's)."""
        if not self.flip:
            return np.asarray(self.run(batch), np.float32)
        mirrored = np.ascontiguousarray(batch[:, :, ::-1])
        if self.doubles_batch:
            both = np.asarray(self.run(np.concatenate([batch, mirrored])), np.float32)
            plain, mirror = both[:len(batch)], both[len(batch):]
        else:
            plain = np.asarray(self.run(batch), np.float32)
            mirror = np.asarray(self.run(mirrored), np.float32)
        return (plain + mirror) / np.float32(2)

    def _check_size(self, batch: np.ndarray) -> None:
        if batch.ndim != 4 or batch.shape[-1] != 3:
            raise DataError(f"images must be (N, H, W, 3) uint8, got a batch of shape "
                            f"{batch.shape}")
        if self.resizes or self.image_size is None:
            return
        if tuple(batch.shape[1:3]) != tuple(self.image_size):
            raise DataError(f"images of {batch.shape[1]}x{batch.shape[2]} px given to a model "
                            f"of {self.image_size[0]}x{self.image_size[1]} px")

    def embed(self, images: Any, batch_size: int | None = None,
              progress: bool = False) -> np.ndarray:
        """Embeddings (N, dim) of ``images`` (module docstring), in order; (0, dim) for
        none. ``batch_size`` defaults to ``batch_size_for`` the images' size."""
        batches, total = image_batches(images, batch_size)
        bar = Progress(total) if progress and total else None
        parts, done = [], 0
        for batch in batches:
            batch = np.asarray(batch, np.uint8)
            self._check_size(batch)
            if len(batch):
                parts.append(self._run(batch))
            done += len(batch)
            if bar is not None:
                bar.update(done)
        if not parts:
            return np.zeros((0, self.dim), np.float32)
        return check_finite(np.concatenate(parts))


def keras_embedder(encoder: keras.Model) -> Embedder:
    """The Embedder of a Keras encoder (inference mode); an input of unknown size takes any."""
    check_tf_keras(encoder, "the encoder")
    size = tuple(encoder.input_shape[1:3])
    image_size = tuple(int(n) for n in size) if None not in size else None

    def run(batch: np.ndarray) -> np.ndarray:
        return np.asarray(encoder(batch, training=False), np.float32)

    return Embedder(run, image_size, int(encoder.output_shape[-1]), f"keras:{encoder.name}",
                    model=encoder, doubles_batch=encoder.input_shape[0] is None)


def saved_model_embedder(folder: str | Path) -> Embedder:
    """The Embedder of a tfreid SavedModel export (``tfreid.inference.saved_model``); one
    whose ``tfreid.json`` records ``"flip": true`` flips inside (``flips_inside``)."""
    serve, info = load_serving(folder)
    return Embedder(serve, info["image_size"], info["embedding_dim"],
                    f"saved_model:{Path(folder).resolve()}", resizes=True, model=serve,
                    flips_inside=info.get("flip") is True)


def tflite_embedder(model: TFLiteModel, name: str = "tflite") -> Embedder:
    """The Embedder of a TFLite model (``tfreid.inference.tflite``)."""
    return Embedder(model, model.image_size, model.dim, name, model=model)


def embedder_for(source: Any, flip: bool = False) -> Embedder:
    """An ``Embedder`` of ``source``: an Embedder (itself), a Keras encoder, a SavedModel
    export folder, a ``.tflite`` file, TFLite bytes, a ``TFLiteModel``, or a ``.onnx``
    file or ``OnnxModel`` (``tfreid.inference.onnx``; any image size, as a SavedModel);
    with ``flip``, its test-time flip one (``Embedder.with_flip``)."""
    embedder = _embedder_of(source)
    return embedder.with_flip() if flip else embedder


def _embedder_of(source: Any) -> Embedder:
    """``embedder_for`` without flip."""
    from tfreid.inference.onnx import OnnxModel

    if isinstance(source, Embedder):
        return source
    if isinstance(source, str | os.PathLike) and Path(source).suffix == ".onnx":
        source = OnnxModel(source) if Path(source).is_file() else source
    if isinstance(source, OnnxModel):
        return Embedder(source, source.image_size, source.dim, source.name, resizes=True,
                        model=source)
    if isinstance(source, keras.Model):
        return keras_embedder(source)
    if isinstance(source, TFLiteModel):
        return tflite_embedder(source)
    if isinstance(source, bytes):
        try:
            return tflite_embedder(TFLiteModel(source))
        except (ValueError, RuntimeError):
            raise DataError(f"the bytes given are not a valid TFLite model; {EXPORT_AGAIN}") \
                from None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_file() and path.suffix == ".tflite":
            return tflite_embedder(read_tflite(path), f"tflite:{path.resolve()}")
        if is_saved_model(path):
            return saved_model_embedder(path)
        raise DataError(f"{source} is neither a tfreid SavedModel export nor a .tflite or "
                        ".onnx file")
    check_tf_keras(source, "the model")
    raise ConfigError(f"cannot embed with a {type(source).__name__}: give a Keras encoder, a "
                      "tfreid SavedModel export folder, a .tflite or a .onnx file")
