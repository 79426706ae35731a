"""A finished run read back: its trained encoder and the settings it was trained with."""

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from tfreid.backend import keras
from tfreid.errors import DataError
from tfreid.training.run_folder import ENCODER_NAME
from tfreid.training.triplet_config import TripletConfig


def load_encoder(run_dir: str | Path) -> keras.Model:
    """The trained encoder of a run folder (its ``encoder.keras``)."""
    path = Path(run_dir) / ENCODER_NAME
    if not path.is_file():
        raise DataError(f"{run_dir} holds no trained encoder ({ENCODER_NAME}): not a tfreid run "
                        "folder, or its training did not finish")
    try:
        return keras.models.load_model(path, compile=False)
    except (OSError, ValueError) as error:
        raise DataError(f"cannot load {path}: {str(error).splitlines()[0]}") from None


def load_run(run_dir: str | Path) -> tuple[keras.Model, TripletConfig, dict[str, Any]]:
    """(encoder, triplet settings for further training on the same data, results).

    The settings keep the run's data split (dataset, image size, seed,
    validation fraction, folds) and backbone; fields the run's own engine had
    (a Siamese loss, say) are dropped.
    """
    run_dir = Path(run_dir)
    encoder_path, results_path = run_dir / ENCODER_NAME, run_dir / "results.json"
    for path in (encoder_path, results_path):
        if not path.is_file():
            raise DataError(f"{run_dir} is not a finished tfreid run: {path.name} is missing")
    try:
        results = json.loads(results_path.read_text())
    except json.JSONDecodeError as error:
        raise DataError(f"{results_path} is not JSON: {error}") from None
    names = {f.name for f in fields(TripletConfig)}
    settings = {k: v for k, v in results.get("config", {}).items() if k in names}
    if isinstance(settings.get("image_size"), list):
        settings["image_size"] = tuple(settings["image_size"])
    return load_encoder(run_dir), TripletConfig(**settings), results
