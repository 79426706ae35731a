"""The uncompressed baseline (from a finished run, or trained here) and fine-tuning."""

from dataclasses import replace
from pathlib import Path

from tfreid.backend import keras
from tfreid.data.reader import SplitArrays
from tfreid.models import build_encoder
from tfreid.training.run import FitPaths, load_reid_data
from tfreid.training.saved_run import load_run
from tfreid.training.triplet import fit_triplet_encoder
from tfreid.training.triplet_config import TripletConfig

Baseline = tuple[keras.Model, TripletConfig, dict[str, SplitArrays]]


def baseline_from_run(run_dir: str | Path) -> Baseline:
    """The run's encoder and settings, and its data split reloaded."""
    encoder, config, _ = load_run(run_dir)
    return encoder, config, load_reid_data(config, lonely="skip")


def train_baseline(config: TripletConfig, logdir: Path, verbose: int = 0) -> Baseline:
    """Train a single triplet encoder with ``config``."""
    config.check()
    data = load_reid_data(config, lonely="skip")
    keras.utils.set_random_seed(config.seed)
    encoder = build_encoder(config.backbone, config.image_shape(), config.embedding_dim,
                            **config.encoder_options())
    fit_triplet_encoder(config, encoder, [config.embedding_dim], data, FitPaths.plain(logdir),
                        verbose)
    return encoder, config, data


def fine_tune(encoder: keras.Model, config: TripletConfig, data: dict[str, SplitArrays],
              epochs: int, logdir: Path, verbose: int = 0) -> keras.Model:
    """Train ``encoder`` on with the run's triplet objective for ``epochs`` epochs."""
    short = replace(config, epochs=epochs, patience=max(epochs, config.patience))
    fit_triplet_encoder(short, encoder, [int(encoder.output_shape[-1])], data,
                        FitPaths.plain(logdir), verbose)
    return encoder
