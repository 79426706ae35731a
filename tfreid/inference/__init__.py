"""Inference: the one way tfreid embeds images, whatever the model (a Keras encoder, a
SavedModel export, a TFLite or an ONNX model) and wherever the images are (in memory, in TFRecord
shards, in image files read batch by batch). Below evaluation, export, compression and
retrieval, which all embed through it.

Names load on first use, like ``tfreid.data``'s.
"""

import importlib

_EXPORTS = {
    "Embedder": "tfreid.inference.embedder", "embedder_for": "tfreid.inference.embedder",
    "batch_size_for": "tfreid.inference.embedder",
    "check_finite": "tfreid.inference.embedder",
    "EMBEDDING_PIXELS": "tfreid.inference.embedder",
    "METADATA_NAME": "tfreid.inference.saved_model",
    "read_metadata": "tfreid.inference.saved_model",
    "export_image_size": "tfreid.inference.saved_model",
    "TFLiteModel": "tfreid.inference.tflite",
    "OnnxModel": "tfreid.inference.onnx",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfreid.inference' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
