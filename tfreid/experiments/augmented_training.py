"""Training an encoder on anchor / augmented-positive batches (paper 002's set-up)."""

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import default_jit_compile, keras
from tfreid.data.names import AUGMENTATIONS
from tfreid.data.views import anchor_positive_dataset
from tfreid.errors import ConfigError
from tfreid.experiments.studies import TRAININGS
from tfreid.losses import CosineEmbeddingLoss, TripletMarginLoss
from tfreid.models.pami_cnn import pami_cnn
from tfreid.training.fitting import check_finite


@dataclass(frozen=True)
class AugmentedTrainingConfig:
    """Paper 002's training: pairwise = cosine embedding loss, triplet = triplet margin loss.

    002 trained 5 (pairwise) and 10 (triplet) epochs at batch 1024. Here every
    pair or triplet of a batch counts, so batches are smaller (the triplet loss
    holds a (2B)^3 tensor); Adam replaces 002's unnamed optimiser.
    """

    epochs: dict[str, int] = field(default_factory=lambda: {"pairwise": 5, "triplet": 10})
    batch_size: int = 128
    learning_rate: float = 1e-3
    margins: dict[str, float] = field(default_factory=lambda: {"pairwise": 0.0, "triplet": 1.0})
    embedding_dim: int = 32
    image_size: int = 28
    max_train_images: int | None = None
    augment_anchor: bool = False
    xla: bool | None = None
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_loss(training: str, margins: dict[str, float]) -> keras.losses.Loss:
    """The loss of a ``training`` (one of TRAININGS) with its margin from ``margins``."""
    if training not in TRAININGS:
        raise ConfigError(f"unknown training {training!r}; choose from {', '.join(TRAININGS)}")
    loss = CosineEmbeddingLoss if training == "pairwise" else TripletMarginLoss
    return loss(margins[training])


def subsample(images: np.ndarray, labels: np.ndarray, limit: int | None,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` images, a seeded random choice (all of them for None)."""
    if limit is None or limit >= len(images):
        return images, labels
    chosen = np.sort(np.random.default_rng([seed, 5]).permutation(len(images))[:limit])
    return images[chosen], labels[chosen]


def train_augmented(config: AugmentedTrainingConfig, training: str, augment: str,
                    images: np.ndarray, labels: np.ndarray, log_dir: str | Path | None = None,
                    verbose: int = 0) -> tuple[keras.Model, dict[str, Any]]:
    """Train paper 002's network; returns (encoder, {"history", "train_seconds", ...}).

    With ``log_dir``, TensorBoard gets the loss curve there.
    """
    if augment not in AUGMENTATIONS:
        raise ConfigError(f"unknown augmentation {augment!r}; choose from "
                          f"{', '.join(AUGMENTATIONS)}")
    loss = make_loss(training, config.margins)
    images, labels = subsample(images, labels, config.max_train_images, config.seed)
    keras.utils.set_random_seed(config.seed)
    encoder = pami_cnn(images.shape[1:], config.embedding_dim)
    jit = default_jit_compile() if config.xla is None else config.xla
    encoder.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=loss,
                    jit_compile=jit)
    batches = anchor_positive_dataset(images, labels, augment, config.batch_size, config.seed,
                                      config.augment_anchor)
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if log_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(str(log_dir), write_graph=False,
                                                     profile_batch=0))
    started = time.perf_counter()
    history = encoder.fit(batches, epochs=config.epochs[training],
                          steps_per_epoch=len(images) // config.batch_size,
                          callbacks=callbacks, verbose=verbose).history
    check_finite(history)
    return encoder, {"history": history, "train_seconds": time.perf_counter() - started,
                     "train_images": len(images)}
