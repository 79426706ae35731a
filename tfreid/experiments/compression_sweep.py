"""The compression sweep of paper 001: methods x target dims x precisions, with the bytes.

Methods, from a trained baseline of D dims: the entries of ``tfreid.catalog.COMPRESSIONS``
(``tfreid.experiments.compression_methods``: ``slicing``, ``low_rank``, ``pruning``), each
fine-tuning for ``finetune_fraction`` of the baseline's epochs (slicing: the full budget).

Precisions: ``float32``; ``int8`` (the float model's embeddings stored as int8
codes, searched on the codes); ``int8-qat`` (quantization-aware fine-tuning of
the whole encoder for ``finetune_fraction`` of the epochs, converted to TFLite
int8, embedded by the TFLite interpreter and stored as int8 codes).
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfreid.backend import keras
from tfreid.catalog import COMPRESSIONS
from tfreid.compression.accounting import (
    bytes_per_embedding,
    compression_ratio,
    keras_model_bytes,
)
from tfreid.compression.evaluation import rank_float, rank_int8
from tfreid.compression.names import EMBEDDING_PRECISIONS
from tfreid.compression.quantization import CALIBRATION_IMAGES, quantize_encoder
from tfreid.compression.tflite import to_tflite
from tfreid.errors import ConfigError
from tfreid.inference.embedder import embedder_for
from tfreid.metrics.measures import MAP
from tfreid.training.config import RunConfig
from tfreid.training.engine import fine_tune


@dataclass(frozen=True)
class CompressionSweep:
    """What to sweep; ``dims`` below the baseline's D (``halving_dims`` by default)."""

    dims: tuple[int, ...]
    methods: tuple[str, ...] = COMPRESSIONS.names()
    precisions: tuple[str, ...] = EMBEDDING_PRECISIONS
    finetune_fraction: float = 0.2
    tflite_io: str = "int8"

    def check(self, baseline_dim: int) -> None:
        unknown = (set(self.methods) - set(COMPRESSIONS)
                   | set(self.precisions) - set(EMBEDDING_PRECISIONS))
        if unknown:
            raise ConfigError(f"unknown methods / precisions {sorted(unknown)}; choose from "
                              f"{', '.join(COMPRESSIONS)} / {', '.join(EMBEDDING_PRECISIONS)}")
        if not self.dims or min(self.dims) < 1 or max(self.dims) >= baseline_dim:
            raise ConfigError(f"target dims must lie in [1, {baseline_dim - 1}] below the "
                              f"baseline's {baseline_dim}, got {list(self.dims)}")


def halving_dims(dim: int, smallest: int = 8) -> tuple[int, ...]:
    """D/2, D/4, ... down to ``smallest`` (001: 768 -> 32)."""
    dims = []
    while dim // 2 >= smallest:
        dim //= 2
        dims.append(dim)
    return tuple(dims)


def compressed_encoders(baseline: keras.Model, config: RunConfig, data: dict[str, Any],
                        sweep: CompressionSweep,
                        log_root: Path) -> Iterator[tuple[str, int, keras.Model, int]]:
    """(method, dim, encoder, epochs trained) for every method (``COMPRESSIONS``) and target
    dim, the dims in descending order."""
    short = max(1, round(sweep.finetune_fraction * config.epochs))
    dims = tuple(sorted(sweep.dims, reverse=True))
    for method in sweep.methods:
        for dim, encoder, epochs in COMPRESSIONS.get(method)(baseline, dims, config, data,
                                                             short, log_root):
            yield method, dim, encoder, epochs


def precision_rows(encoder: keras.Model, config: RunConfig, data: dict[str, Any],
                   sweep: CompressionSweep, logdir: Path) -> Iterator[dict[str, Any]]:
    """One partial row (precision, scores, model bytes) per precision of ``sweep``."""
    query, gallery = data["query"], data["gallery"]
    float_embedder = embedder_for(encoder)
    q, g = float_embedder.embed(query.images), float_embedder.embed(gallery.images)
    model_bytes = keras_model_bytes(encoder)
    if "float32" in sweep.precisions:
        yield {"precision": "float32", **rank_float(q, g, query, gallery),
               "model_bytes": model_bytes}
    if "int8" in sweep.precisions:
        yield {"precision": "int8", **rank_int8(q, g, query, gallery), "model_bytes": model_bytes}
    if "int8-qat" in sweep.precisions:
        epochs = max(1, round(sweep.finetune_fraction * config.epochs))
        qat = quantize_encoder(encoder, "all", data["train"].images[:CALIBRATION_IMAGES])
        qat = fine_tune(qat, config, data, epochs, logdir / "qat")
        model = to_tflite(qat, sweep.tflite_io)
        tflite = embedder_for(model)
        q8, g8 = tflite.embed(query.images), tflite.embed(gallery.images)
        yield {"precision": "int8-qat", **rank_int8(q8, g8, query, gallery),
               "model_bytes": len(model), "qat_epochs": epochs}


def run_compression_sweep(baseline: keras.Model, config: RunConfig,
                          data: dict[str, Any], sweep: CompressionSweep, log_root: Path,
                          progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every (method, dim, precision) row, the baseline's first; see the module docstring."""
    full_dim = int(baseline.output_shape[-1])
    sweep.check(full_dim)
    reference = bytes_per_embedding(full_dim, "float32")
    rows = []

    def add(method: str, dim: int, encoder: keras.Model, extra_epochs: int) -> None:
        started = time.perf_counter()
        for row in precision_rows(encoder, config, data, sweep, log_root / f"{method}{dim}"):
            stored = bytes_per_embedding(dim, "float32" if row["precision"] == "float32"
                                         else "int8")
            rows.append({"method": method, "dim": dim, **row, "bytes_per_embedding": stored,
                         "compression_ratio": compression_ratio(reference, stored),
                         "extra_epochs": extra_epochs + row.get("qat_epochs", 0),
                         "eval_seconds": time.perf_counter() - started})
        progress(f"{method} {dim}: " + ", ".join(
            f"{r['precision']} mAP {r[MAP.key]:.3f}" for r in rows if r["method"] == method
            and r["dim"] == dim))

    add("baseline", full_dim, baseline, 0)
    for candidate in compressed_encoders(baseline, config, data, sweep, log_root):
        add(*candidate)
    return rows
