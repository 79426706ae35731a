"""Bytes: per stored embedding, compression ratio, model size on disk."""

import tempfile
from pathlib import Path

from tfreid.backend import keras

BYTES_PER_VALUE = {"float32": 4, "int8": 1}


def bytes_per_embedding(dim: int, precision: str) -> int:
    """Storage of one embedding: D x 4 bytes in float32, D x 1 in int8.

    (int8 galleries also keep D float32 scales once, not per embedding.)
    """
    return int(dim) * BYTES_PER_VALUE[precision]


def compression_ratio(baseline_bytes: int, compressed_bytes: int) -> float:
    """How many times smaller: baseline / compressed (768 float32 -> 32 int8 = 96)."""
    return baseline_bytes / compressed_bytes


def keras_model_bytes(model: keras.Model) -> int:
    """Size on disk of the model saved in the Keras format (architecture and weights)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.stat().st_size


def folder_bytes(path: str | Path) -> int:
    """Total size of the files under ``path`` (a SavedModel, say)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
