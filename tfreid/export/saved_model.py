"""Export an encoder as a SavedModel that needs nothing but TensorFlow to embed.

The ``serving_default`` signature takes ``images``: a uint8 batch (B, H, W, 3)
of any H and W, resizes it with ``tfreid.data.images.resize_images`` (the
reader's own resizing) to the encoder's input size and returns
``{"embeddings": (B, D) float32}``. ``tfreid.json`` beside it records the input
size, embedding size and distance metric; ``tfreid.inference`` loads and embeds with it.
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

    def __init__(self, encoder: keras.Model):
        super().__init__(name="embedding_server")
        self.encoder = encoder
        self.image_size = tuple(int(n) for n in encoder.input_shape[1:3])
        self.embedding_dim = int(encoder.output_shape[-1])

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    def serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """Embeddings of a uint8 batch; an empty batch (0, H, W, 3) gives (0, D)."""
        empty = tf.zeros([0, self.embedding_dim], tf.float32)

        def embed() -> tf.Tensor:
            pixels = resize_images(images, self.image_size)
            return tf.cast(self.encoder(pixels, training=False), tf.float32)

        embeddings = tf.cond(tf.shape(images)[0] > 0, embed, lambda: empty)
        return {"embeddings": tf.ensure_shape(embeddings, [None, self.embedding_dim])}


def export_saved_model(
    encoder: keras.Model, export_dir: str | Path, metadata: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the SavedModel into ``export_dir`` atomically; return its path.

    An existing ``export_dir`` is an error, unless ``overwrite`` is set and it
    is a tfreid export (``tfreid.io.outputs.check_new_output``).
    """
    check_tf_keras(encoder, "the encoder")
    server = EmbeddingServer(encoder)
    info = {"image_size": list(server.image_size),
            "embedding_dim": int(encoder.output_shape[-1]),
            "input": "uint8 images (B, H, W, 3), any H and W",
            "signature": "serving_default", "output": "embeddings",
            **(metadata or {})}
    with atomic_directory(export_dir, overwrite=overwrite, kind="export") as staging:
        tf.saved_model.save(server, str(staging), signatures={"serving_default": server.serve})
        (staging / METADATA_NAME).write_text(json.dumps(info, indent=2) + "\n")
    return Path(export_dir)

