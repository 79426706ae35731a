"""Deployment exports of a finished run, each checked against the model it came from.

Into one folder, written atomically:

* ``float/``: SavedModel of the trained encoder (uint8 images of any size in,
  float32 embeddings out); its embeddings must equal the in-memory encoder's
  within 1e-5.
* ``qat/``: SavedModel of the encoder after quantization-aware fine-tuning
  (whole encoder, ranges calibrated on training images); checked likewise
  against the in-memory QAT model.
* ``int8.tflite``: the QAT model converted to TFLite int8; its embeddings
  (TFLite interpreter) are compared with the QAT model's: largest error, in
  output quantization steps too, and held-out rank-1 / mAP against the float
  encoder's.
* ``qat_logs/``: the TensorBoard logs (``train``, ``validation``) of the QAT
  fine-tuning (its best-epoch checkpoint is dropped: ``qat/`` holds those weights).
* ``report.json``: all of the above, with sizes on disk, and where ``qat_logs`` is.

The run folder is only read: an export adds nothing to it, so TensorBoard and the
HParams tab over ``logs/`` see the training run alone.
"""

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import keras
from tfreid.compression.accounting import folder_bytes
from tfreid.compression.evaluation import rank_float
from tfreid.compression.quantization import CALIBRATION_IMAGES, quantize_encoder
from tfreid.compression.tflite import to_tflite
from tfreid.errors import TrainingError
from tfreid.export.saved_model import export_saved_model
from tfreid.inference.embedder import embedder_for
from tfreid.inference.tflite import TFLiteModel
from tfreid.io.atomic import atomic_directory, write_json
from tfreid.io.outputs import check_new_output
from tfreid.metrics.measures import MAP
from tfreid.training.engine import fine_tune
from tfreid.workflows.baseline import baseline_from_run

FLOAT_TOLERANCE = 1e-5
QAT_LOGS = "qat_logs"


def saved_model_error(export_dir: Path, model: keras.Model, images: np.ndarray) -> float:
    """Largest |SavedModel embedding - in-memory embedding| over ``images``."""
    exported = embedder_for(export_dir).embed(images)
    return float(np.abs(exported - embedder_for(model).embed(images)).max())


def export_run(run_dir: str | Path, out_dir: str | Path, qat_epochs: int = 2,
               tflite_io: str = "int8", overwrite: bool = False) -> dict[str, Any]:
    """Write the three exports of ``run_dir`` into ``out_dir``; return the report."""
    check_new_output(out_dir, overwrite)
    encoder, config, data = baseline_from_run(run_dir)
    query, gallery = data["query"], data["gallery"]
    check_images = np.concatenate([query.images, gallery.images])[:256]
    with atomic_directory(out_dir, overwrite=overwrite, kind="deployment") as staging:
        export_saved_model(encoder, staging / "float", metadata={"run": str(run_dir)})
        qat = quantize_encoder(encoder, "all", data["train"].images[:CALIBRATION_IMAGES])
        fine_tune(qat, config, data, qat_epochs, staging / QAT_LOGS)
        shutil.rmtree(staging / QAT_LOGS / "checkpoints", ignore_errors=True)
        export_saved_model(qat, staging / "qat", metadata={"run": str(run_dir), "qat": True})
        model = to_tflite(qat, tflite_io)
        (staging / "int8.tflite").write_bytes(model)
        interpreter = TFLiteModel(model)
        tflite = embedder_for(interpreter)
        errors = {"float": saved_model_error(staging / "float", encoder, check_images),
                  "qat": saved_model_error(staging / "qat", qat, check_images)}
        for name, error in errors.items():
            if error > FLOAT_TOLERANCE:
                raise TrainingError(f"the {name} SavedModel differs from the in-memory model by "
                                    f"{error:.2e} (> {FLOAT_TOLERANCE:g})")
        int8_error = np.abs(tflite.embed(check_images) - embedder_for(qat).embed(check_images))
        step = interpreter.output_step
        float_embedder = embedder_for(encoder)
        float_scores = rank_float(float_embedder.embed(query.images),
                                  float_embedder.embed(gallery.images), query, gallery)
        int8_scores = rank_float(tflite.embed(query.images), tflite.embed(gallery.images),
                                 query, gallery)
        report = {
            "run": str(run_dir), "qat_epochs": qat_epochs, "tflite_io": tflite_io,
            "qat_logs": str(Path(out_dir) / QAT_LOGS),
            "float_savedmodel_max_error": errors["float"],
            "qat_savedmodel_max_error": errors["qat"],
            "tflite_max_error": float(int8_error.max()),
            "tflite_mean_error": float(int8_error.mean()),
            "tflite_output_step": step or None,
            "float": float_scores, "tflite_int8": int8_scores,
            "mAP_delta": int8_scores[MAP.key] - float_scores[MAP.key],
            "bytes": {"float": folder_bytes(staging / "float"),
                      "qat": folder_bytes(staging / "qat"), "int8.tflite": len(model)},
        }
        write_json(staging / "report.json", report)
    return report
