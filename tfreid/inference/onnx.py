"""An ONNX export behind onnxruntime (CPU): float32 embeddings of uint8 batches of any size.

``tfreid.export.onnx`` writes the model: input ``images`` (uint8 (B, H, W, 3), B, H and W
dynamic), output ``embeddings`` (float32 (B, D)), and in its metadata the encoder's
``image_size`` ("H,W") and ``embedding_dim``. onnxruntime is the ``tfreid[onnx]`` extra.
Batching and the checks are ``tfreid.inference.embedder``'s.

Example::

    from tfreid.export.onnx import export_onnx
    from tfreid.inference.onnx import OnnxModel

    export_onnx(encoder, "model.onnx")
    model = OnnxModel("model.onnx")
    assert model(images).shape == (8, 16)  # (B, D) float32
"""

import os
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.errors import DataError, one_line
from tfreid.extras import import_extra
from tfreid.inference.saved_model import EXPORT_AGAIN

INPUT_NAME, OUTPUT_NAME = "images", "embeddings"
FEATURE = "ONNX export and inference"


class OnnxModel:
    """An onnxruntime CPU session of a tfreid ONNX export (a path or serialized bytes)."""

    def __init__(self, model: str | os.PathLike | bytes):
        ort = import_extra("onnxruntime", "onnx", FEATURE)
        options = ort.SessionOptions()
        options.log_severity_level = 3  # notes about unused initializers: not the user's
        source = str(model) if isinstance(model, str | os.PathLike) else model
        self.name = f"onnx:{Path(model).resolve()}" if isinstance(source, str) else "onnx"
        try:
            self.session = ort.InferenceSession(source, options,
                                                providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own Fail / InvalidGraph types
            raise DataError(f"{model if isinstance(source, str) else 'the bytes given'} is not "
                            f"a valid ONNX model ({one_line(str(error))}); {EXPORT_AGAIN}") \
                from None
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.image_size = _image_size(metadata.get("image_size"))
        self.dim = int(metadata.get("embedding_dim") or self.session.get_outputs()[0].shape[-1])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Float32 embeddings (B, D) of one uint8 batch (B, H, W, 3) of any H and W."""
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: np.asarray(batch, np.uint8)})[0]

    def embed(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Embeddings (N, D) of uint8 ``images``, ``batch_size`` at a time."""
        parts = [self(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)


def _image_size(value: Any) -> tuple[int, int] | None:
    """(H, W) from the metadata's "H,W", or None where it is missing."""
    try:
        height, width = (int(n) for n in str(value).split(","))
    except ValueError:
        return None
    return height, width
