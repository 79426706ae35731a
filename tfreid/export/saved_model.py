"""Export an encoder as a SavedModel that needs nothing but TensorFlow to embed.

The ``serving_default`` signature takes ``images``: a uint8 batch (B, H, W, 3)
of any H and W, resizes it with ``tfreid.data.images.resize_images`` (the
reader's own resizing) to the encoder's input size and returns
``{"embeddings": (B, D) float32}``. ``tfreid.json`` beside it records the input
size, embedding size and distance metric; ``tfreid.inference`` loads and embeds with it.

With ``flip`` (test-time flip) the signature embeds each image and its horizontal mirror
(the uint8 input mirrored before resizing, as ``Embedder(flip=True)`` feeds a plain export)
in one doubled batch and returns the mean of the two raw embeddings, as BoT and fast-reid's
flip test do; ``tfreid.json`` records ``"flip": true`` so that ``tfreid.inference`` does not
flip again. Without it the export is as before (no ``flip`` key).
"""

import json
from pathlib import Path
from typing import Any

from tfreid.backend import check_tf_keras, keras, tf
from tfreid.data.images import resize_images
from tfreid.inference.saved_model import METADATA_NAME
from tfreid.io.atomic import atomic_directory

__all__ = ["METADATA_NAME", "EmbeddingServer", "export_saved_model"]


class EmbeddingServer(tf.Module):
    """tf.Module wrapping an encoder with a uint8, any-size serving function."""

    def __init__(self, encoder: keras.Model, flip: bool = False):
        super().__init__(name="embedding_server")
        self.encoder = encoder
        self.flip = bool(flip)
        self.image_size = tuple(int(n) for n in encoder.input_shape[1:3])
        self.embedding_dim = int(encoder.output_shape[-1])

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    def serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """Embeddings of a uint8 batch; an empty batch (0, H, W, 3) gives (0, D)."""
        empty = tf.zeros([0, self.embedding_dim], tf.float32)

        def embed() -> tf.Tensor:
            return self.flip_mean(images) if self.flip else self.encode(images)

        embeddings = tf.cond(tf.shape(images)[0] > 0, embed, lambda: empty)
        return {"embeddings": tf.ensure_shape(embeddings, [None, self.embedding_dim])}

    def encode(self, images: tf.Tensor) -> tf.Tensor:
        """Float32 embeddings of uint8 images of any size, resized to the encoder's."""
        pixels = resize_images(images, self.image_size)
        return tf.cast(self.encoder(pixels, training=False), tf.float32)

    def flip_mean(self, images: tf.Tensor) -> tf.Tensor:
        """The mean of the raw embeddings of ``images`` and their mirrors (width axis)."""
        count = tf.shape(images)[0]
        both = self.encode(tf.concat([images, tf.reverse(images, axis=[2])], axis=0))
        return (both[:count] + both[count:]) / 2.0


def export_saved_model(
    encoder: keras.Model, export_dir: str | Path, metadata: dict[str, Any] | None = None,
    overwrite: bool = False, flip: bool = False,
) -> Path:
    """Write the SavedModel into ``export_dir`` atomically; return its path. With
    ``flip`` it embeds with test-time flip (module docstring).

    An existing ``export_dir`` is an error, unless ``overwrite`` is set and it
    is a tfreid export (``tfreid.io.outputs.check_new_output``).
    """
    check_tf_keras(encoder, "the encoder")
    server = EmbeddingServer(encoder, flip)
    info = {"image_size": list(server.image_size),
            "embedding_dim": int(encoder.output_shape[-1]),
            "input": "uint8 images (B, H, W, 3), any H and W",
            "signature": "serving_default", "output": "embeddings",
            **(metadata or {}), **({"flip": True} if flip else {})}
    with atomic_directory(export_dir, overwrite=overwrite, kind="export") as staging:
        tf.saved_model.save(server, str(staging), signatures={"serving_default": server.serve})
        (staging / METADATA_NAME).write_text(json.dumps(info, indent=2) + "\n")
    return Path(export_dir)

