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
* with ``onnx``: ``float/model.onnx`` and ``qat/model.onnx`` (tf2onnx, ``tfreid[onnx]``),
  each checked with onnxruntime against its SavedModel on the held-out images
  (``tfreid.export.onnx``) and recorded in that folder's ``tfreid.json``; a QAT graph the
  converter cannot match is left out with a one-line note; ``int8.onnx`` from
  ``int8.tflite`` (tf2onnx's TFLite route: the TFLite model's int8 I/O and fixed image
  size), checked against the TFLite interpreter within one output code, or a note.
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
from tfreid.compression.quantization import CALIBRATION_IMAGES, quantize_encoder, require_qat
from tfreid.compression.tflite import to_tflite
from tfreid.errors import ConfigError, TrainingError, one_line
from tfreid.export.onnx import add_onnx, difference_line, export_tflite_onnx
from tfreid.export.saved_model import export_saved_model
from tfreid.extras import import_extra
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


def held_out_images(data: dict[str, Any], limit: int = 256) -> np.ndarray:
    """The first ``limit`` held-out images (query, then gallery) the exports are checked on."""
    query, gallery = data["query"], data["gallery"]
    return np.concatenate([query.images, gallery.images])[:limit]


def export_float(run_dir: str | Path, out_dir: str | Path, overwrite: bool = False,
                 onnx: bool = False, flip: bool = False) -> dict[str, Any] | None:
    """The float SavedModel of ``run_dir`` in ``out_dir`` itself (written atomically), with
    ``model.onnx`` beside it if ``onnx``; return the ONNX record (None without ONNX). With
    ``flip`` the SavedModel embeds with test-time flip (``tfreid.export.saved_model``); ONNX
    with flip is a ConfigError (not supported yet)."""
    from tfreid.training.saved_run import load_encoder

    metadata = {"run": Path(run_dir).name, "metric": "euclidean"}
    if flip and onnx:
        raise ConfigError("--onnx with --flip is not supported yet")
    if not onnx:
        export_saved_model(load_encoder(run_dir), out_dir, metadata, overwrite=overwrite,
                           flip=flip)
        return None
    import_onnx_extra()
    check_new_output(out_dir, overwrite)
    encoder, _, data = baseline_from_run(run_dir)
    with atomic_directory(out_dir, overwrite=overwrite, kind="export") as staging:
        inner = export_saved_model(encoder, staging / "savedmodel", metadata)
        for item in inner.iterdir():
            item.rename(staging / item.name)
        inner.rmdir()
        info = add_onnx(staging, encoder, held_out_images(data))
        print(difference_line(info, str(Path(out_dir) / info["file"])))
    return info


def import_onnx_extra() -> None:
    """The ONNX extra's modules, or its one-line MissingExtraError before any work."""
    for module in ("tf2onnx", "onnx", "onnxruntime"):
        import_extra(module, "onnx", "ONNX export")


def onnx_exports(staging: Path, encoder: keras.Model, qat: keras.Model,
                 check_images: np.ndarray) -> dict[str, Any]:
    """``float/model.onnx`` and ``qat/model.onnx`` (a one-line note instead of a QAT graph
    the converter cannot match) and the int8 note; each result line printed."""
    report: dict[str, Any] = {"float": add_onnx(staging / "float", encoder, check_images)}
    print(difference_line(report["float"], "float/model.onnx"))
    try:
        report["qat"] = add_onnx(staging / "qat", qat, check_images)
        print(difference_line(report["qat"], "qat/model.onnx"))
    except TrainingError as error:
        report["qat"] = {"converted": False, "note": f"qat/model.onnx not written: {error}"}
        print(f"onnx: {report['qat']['note']}")
    try:
        report["int8"] = export_tflite_onnx((staging / "int8.tflite").read_bytes(),
                                            staging / "int8.onnx", check_images)
        print(f"onnx: int8.onnx (from int8.tflite), opset {report['int8']['opset']}, largest "
              f"|difference| vs TFLite {report['int8']['max_abs_difference']:.1e} over "
              f"{len(check_images)} held-out images")
    except (TrainingError, ValueError, RuntimeError) as error:
        note = f"int8.onnx not written: tf2onnx cannot convert int8.tflite faithfully ({error})"
        report["int8"] = {"converted": False, "note": one_line(note)}
        print(f"onnx: {report['int8']['note']}")
    return report


def export_run(run_dir: str | Path, out_dir: str | Path, qat_epochs: int = 2,
               tflite_io: str = "int8", overwrite: bool = False,
               onnx: bool = False) -> dict[str, Any]:
    """Write the three exports of ``run_dir`` into ``out_dir`` (and the ONNX ones with
    ``onnx``); return the report."""
    check_new_output(out_dir, overwrite)
    require_qat()
    if onnx:
        import_onnx_extra()
    encoder, config, data = baseline_from_run(run_dir)
    query, gallery = data["query"], data["gallery"]
    check_images = held_out_images(data)
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
        if onnx:
            report["onnx"] = onnx_exports(staging, encoder, qat, check_images)
        write_json(staging / "report.json", report)
    return report
