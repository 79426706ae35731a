"""Train triplet encoders and ensembles of them (paper 000).

A single encoder, or an ensemble whose members are trained one after another
(independent seeds, triplets and weights) or side by side in one step (one
``PerMemberLoss``: each member still sees only its own loss). Either way the
result is one Keras model, monitored, evaluated and exported like every run.
"""

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import keras
from tfreid.data.reader import SplitArrays
from tfreid.data.triplets import pk_dataset, random_triplets, triplet_dataset
from tfreid.losses import PerMemberLoss, ProxyNCALoss, TripletLoss, TripletMiningLoss
from tfreid.models import build_encoder
from tfreid.models.ensemble import build_ensemble, member_dims
from tfreid.models.triplet import build_triplet_model
from tfreid.training.batch_losses import make_batch_loss
from tfreid.training.run import check_finite, finish_run, load_reid_data, standard_callbacks
from tfreid.training.triplet_config import TripletConfig


def _datasets(config: TripletConfig, data: dict[str, SplitArrays]):
    """(train, validation, steps per epoch) for the mining mode."""
    train, val = data["train"], data["validation"]
    if not config.uses_pk_batches():
        train_triplets = random_triplets(train.identities, config.num_triplets, config.seed)
        val_triplets = random_triplets(val.identities, max(256, config.num_triplets // 10),
                                       config.seed + 1)
        return (triplet_dataset(train.images, train_triplets, config.batch_size, config.seed),
                triplet_dataset(val.images, val_triplets, config.batch_size, config.seed,
                                shuffle=False).cache(), None)
    k = config.samples_per_identity
    p = config.batch_size // k
    steps = math.ceil(config.num_triplets / config.batch_size)
    num_val_ids = len(set(val.identities.tolist()))
    val_batches = pk_dataset(val.images, val.identities, min(p, num_val_ids), k, config.seed + 1)
    return (pk_dataset(train.images, train.identities, p, k, config.seed),
            val_batches.take(max(1, steps // 10)).cache(), steps)


def _loss_and_model(config: TripletConfig, encoder: keras.Model,
                    data: dict[str, SplitArrays]) -> tuple[keras.losses.Loss, keras.Model]:
    """The loss and the model ``fit`` trains (the encoder, or a triplet or proxy wrapper)."""
    if config.loss == "triplet" and config.mining == "random":
        return TripletLoss(config.margin, config.squared), build_triplet_model(encoder)
    if config.loss == "triplet":
        return TripletMiningLoss(config.mining, config.margin, config.squared), encoder
    labels = np.concatenate([data["train"].identities, data["validation"].identities])
    loss = make_batch_loss(config.loss, int(encoder.output_shape[-1]), int(labels.max()) + 1,
                           config.margin, config.squared, config.seed)
    if isinstance(loss, ProxyNCALoss):  # the proxies train with a wrapper, not the encoder
        return loss, loss.attach(keras.Model(encoder.input, encoder.output))
    return loss, encoder


def fit_triplet_encoder(
    config: TripletConfig, encoder: keras.Model, dims: list[int],
    data: dict[str, SplitArrays], logdir: Path, verbose: int,
) -> dict[str, list[float]]:
    """Train ``encoder`` (members of ``dims`` dims) with the run's loss; its history."""
    loss, model = _loss_and_model(config, encoder, data)
    if len(dims) > 1:
        loss = PerMemberLoss(loss, dims)
    model.compile(keras.optimizers.Adam(config.lr), loss=loss,
                  jit_compile=config.jit_compile())
    train, validation, steps = _datasets(config, data)
    logdir.mkdir(parents=True, exist_ok=True)
    history = model.fit(train, epochs=config.epochs, steps_per_epoch=steps,
                        validation_data=validation, verbose=verbose,
                        callbacks=standard_callbacks(config, encoder, data, logdir)).history
    check_finite(history)
    return history


def _member(config: TripletConfig, index: int, dim: int) -> keras.Model:
    return build_encoder(config.backbone, config.image_shape(), dim,
                         name=f"member{index}", **config.encoder_options())


def train_triplet(config: TripletConfig, verbose: int = 2) -> dict[str, Any]:
    """Run ``config`` end to end; return the results (also written to the logdir)."""
    config.check()
    dims = member_dims(config.embedding_dim, config.members, config.member_dim)
    prefix = "triplet" if len(dims) == 1 else f"ensemble{len(dims)}x{dims[0]}"
    objective = config.mining if config.loss == "triplet" else config.loss
    run_name = config.resolved_run_name(f"{prefix}-{objective}")
    logdir = Path(config.logdir or Path("logs") / run_name)
    data = load_reid_data(config, lonely="skip")
    started = time.time()
    if len(dims) == 1 or config.side_by_side:
        keras.utils.set_random_seed(config.seed)
        encoder = build_ensemble([_member(config, i, d) for i, d in enumerate(dims)])
        history = fit_triplet_encoder(config, encoder, dims, data, logdir, verbose)
    else:
        members, history = [], {}
        for index, dim in enumerate(dims):
            member_config = replace(config, seed=config.seed + index, embedding_dim=dim,
                                    members=1, member_dim=None)
            keras.utils.set_random_seed(member_config.seed)
            members.append(_member(config, index, dim))
            member_history = fit_triplet_encoder(member_config, members[-1], [dim], data,
                                                 logdir / f"member{index}", verbose)
            history.update({f"member{index}_{k}": v for k, v in member_history.items()})
        encoder = build_ensemble(members)
    return finish_run(config, encoder, data, run_name, logdir, history, time.time() - started)
