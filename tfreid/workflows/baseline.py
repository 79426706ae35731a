"""The uncompressed baseline of a compression sweep or a deployment: a finished run of any
method, or a run trained here."""

from pathlib import Path

from tfreid.backend import keras
from tfreid.data.reader import SplitArrays
from tfreid.models import build_encoder
from tfreid.training.config import RunConfig
from tfreid.training.engine import fit_encoder, make_method
from tfreid.training.fitting import FitPaths
from tfreid.training.run_data import load_reid_data
from tfreid.training.saved_run import load_run

Baseline = tuple[keras.Model, RunConfig, dict[str, SplitArrays]]


def baseline_from_run(run_dir: str | Path) -> Baseline:
    """The run's encoder and configuration, and its data split reloaded."""
    encoder, config, _ = load_run(run_dir)
    return encoder, config, load_reid_data(config, make_method(config).lonely)


def train_baseline(config: RunConfig, logdir: Path, verbose: int = 0) -> Baseline:
    """Train a single encoder with ``config``'s method (no run folder: inside a sweep)."""
    method = make_method(config)
    data = load_reid_data(config, method.lonely)
    keras.utils.set_random_seed(config.seed)
    encoder = build_encoder(config.backbone, config.image_shape(), config.embedding_dim,
                            **config.encoder_options())
    fit_encoder(method, encoder, data, FitPaths.plain(logdir), verbose)
    return encoder, config, data
