"""A finished run read back: its trained encoder, the configuration it was trained with
(any method), and its results."""

import json
from pathlib import Path
from typing import Any

from tfreid.backend import keras
from tfreid.errors import DataError
from tfreid.keras_objects import load_model
from tfreid.metrics.measure import Scores
from tfreid.training.config import RunConfig
from tfreid.training.legacy_settings import upgrade_settings
from tfreid.training.run_folder import ENCODER_NAME, RESULTS_NAME

LEGACY_SIAMESE = ("loss", "margin", "steps_per_epoch", "validation_steps")


def load_encoder(run_dir: str | Path) -> keras.Model:
    """The trained encoder of a run folder (its ``encoder.keras``)."""
    path = Path(run_dir) / ENCODER_NAME
    if not path.is_file():
        raise DataError(f"{run_dir} holds no trained encoder ({ENCODER_NAME}): not a tfreid run "
                        "folder, or its training did not finish")
    try:
        return load_model(path, compile=False)
    except (OSError, ValueError) as error:
        raise DataError(f"cannot load {path}: {str(error).splitlines()[0]}") from None


def config_of(settings: dict[str, Any]) -> RunConfig:
    """The RunConfig of a results.json ``config``, also of runs from before the engine
    (Siamese or triplet settings without ``method``)."""
    settings = upgrade_settings(settings)
    if "method" in settings:
        return RunConfig.from_dict(settings)
    shared = {f for f in RunConfig.__dataclass_fields__ if f not in ("method", "options")}
    options = {k: v for k, v in settings.items() if k not in shared}
    base = {k: v for k, v in settings.items() if k in shared}
    if "num_triplets" not in options:
        method = "siamese"
        options = {k: v for k, v in options.items() if k in LEGACY_SIAMESE}
    elif options.get("loss") == "triplet" and options.get("mining") == "random":
        method = "triplet"
        options = {k: options[k] for k in ("num_triplets", "margin", "squared") if k in options}
    else:
        method = "batch"
        loss = options.get("loss")
        options = {"loss": "triplet_margin" if loss == "triplet" else loss,
                   "miner": {"random": "all"}.get(options.get("mining"), options.get("mining")),
                   "samples_per_identity": options.get("samples_per_identity", 4)}
    return RunConfig.from_dict({**base, "method": method, "options": options})


def load_run(run_dir: str | Path) -> tuple[keras.Model, RunConfig, dict[str, Any]]:
    """(encoder, the run's configuration, its results) of a finished run of any method; its
    ``test`` and ``chance`` scores as ``Scores`` (results.json of any tfreid version)."""
    run_dir = Path(run_dir)
    results_path = run_dir / RESULTS_NAME
    if not results_path.is_file():
        raise DataError(f"{run_dir} is not a finished tfreid run: {RESULTS_NAME} is missing")
    try:
        results = json.loads(results_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{results_path} is not JSON: {error}") from None
    config = config_of(results.get("config", {}))
    for part in ("test", "chance"):
        if isinstance(results.get(part), dict):
            results[part] = Scores.read(results[part])
    return load_encoder(run_dir), config, results
