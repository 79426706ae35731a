"""Train a Siamese re-identification model end to end (paper 004 on tfreid data).

Reads the dataset's train split, holds out validation identities, trains on
balanced pairs with the contrastive loss, binary verification or both, monitors
rank-1 / mAP / mAC / CF each epoch, stops early on validation mAP, evaluates
the held-out query/gallery split and exports a SavedModel.
"""

from typing import Any

from tfreid.backend import keras
from tfreid.callbacks import PairImages
from tfreid.data.pairs import pair_dataset
from tfreid.losses import BinaryVerificationLoss, ContrastiveLoss
from tfreid.metrics.pair_accuracy import DistancePairAccuracy
from tfreid.models import build_encoder, build_siamese
from tfreid.training.run import FitPaths, execute_run, fit_resumable, standard_callbacks
from tfreid.training.siamese_config import SiameseConfig


def _targets(loss: str) -> tuple[str, ...]:
    return {"contrastive": ("distance",), "binary": ("logit",),
            "combined": ("distance", "logit")}[loss]


def build_siamese_training(config: SiameseConfig) -> tuple[keras.Model, keras.Model]:
    """(encoder, compiled Siamese model) for ``config``."""
    keras.utils.set_random_seed(config.seed)
    encoder = build_encoder(config.backbone, config.image_shape(), config.embedding_dim,
                            **config.encoder_options())
    siamese = build_siamese(encoder, merge_head=config.loss != "contrastive")
    losses = {"distance": ContrastiveLoss(config.margin), "logit": BinaryVerificationLoss()}
    metrics = {"distance": [DistancePairAccuracy(config.margin / 2)],
               "logit": [keras.metrics.BinaryAccuracy(name="pair_accuracy", threshold=0.0)]}
    targets = _targets(config.loss)
    siamese.compile(
        optimizer=keras.optimizers.Adam(config.lr),
        loss={t: losses[t] for t in targets}, metrics={t: metrics[t] for t in targets},
        jit_compile=config.jit_compile())
    return encoder, siamese


def train_siamese(config: SiameseConfig, verbose: int = 2) -> dict[str, Any]:
    """Run ``config`` end to end; return the results (also written to the run folder)."""

    def train(run, data):
        encoder, siamese = build_siamese_training(config)
        targets = _targets(config.loss)
        val_pairs = pair_dataset(data["validation"].images, data["validation"].identities,
                                 config.batch_size, config.seed + 1, targets)
        sample_pairs = next(iter(val_pairs))
        val_pairs = val_pairs.take(config.validation_steps).cache()
        paths = FitPaths.of_run(run)
        callbacks, best = standard_callbacks(config, encoder, data, paths)
        if not run.resumed:
            callbacks.append(PairImages(str(paths.logdir / "train"), sample_pairs))

        def train_pairs(start_step: int):
            return pair_dataset(data["train"].images, data["train"].identities,
                                config.batch_size, config.seed, targets, start_step)

        history = fit_resumable(siamese, train_pairs, config.steps_per_epoch, config.epochs,
                                paths, callbacks, best, val_pairs, verbose)
        return encoder, history

    return execute_run(config, "siamese", f"siamese-{config.loss}", train)
