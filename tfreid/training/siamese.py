"""Train a Siamese re-identification model end to end (paper 004 on tfreid data).

Reads the dataset's train split, holds out validation identities, trains on
balanced pairs with the contrastive loss, binary verification or both, monitors
rank-1 / mAP / mAC / CF each epoch, stops early on validation mAP, evaluates
the held-out query/gallery split and exports a SavedModel.
"""

import time
from pathlib import Path
from typing import Any

from tfreid.backend import keras
from tfreid.callbacks import PairImages
from tfreid.data.pairs import pair_dataset
from tfreid.losses import BinaryVerificationLoss, ContrastiveLoss
from tfreid.metrics.pair_accuracy import DistancePairAccuracy
from tfreid.models import build_encoder, build_siamese
from tfreid.training.run import finish_run, load_reid_data, standard_callbacks
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
    """Run ``config`` end to end; return the results (also written to the logdir)."""
    config.check()
    run_name = config.resolved_run_name(f"siamese-{config.loss}")
    logdir = Path(config.logdir or Path("logs") / run_name)
    data = load_reid_data(config)
    encoder, siamese = build_siamese_training(config)
    targets = _targets(config.loss)
    train_pairs = pair_dataset(data["train"].images, data["train"].identities,
                               config.batch_size, config.seed, targets)
    val_pairs = pair_dataset(data["validation"].images, data["validation"].identities,
                             config.batch_size, config.seed + 1, targets)
    val_pairs = val_pairs.take(config.validation_steps).cache()
    sample_pairs = next(iter(val_pairs))
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    callbacks = standard_callbacks(config, encoder, data, logdir)
    callbacks.append(PairImages(str(logdir / "train"), sample_pairs))
    history = siamese.fit(
        train_pairs, epochs=config.epochs, steps_per_epoch=config.steps_per_epoch,
        validation_data=val_pairs, verbose=verbose, callbacks=callbacks).history
    return finish_run(config, encoder, data, run_name, logdir, history, time.time() - started)
