"""Train triplet encoders and ensembles of them (paper 000).

A single encoder, or an ensemble whose members are trained one after another
(independent seeds, triplets and weights) or side by side in one step (one
``PerMemberLoss``: each member still sees only its own loss). Either way the
result is one Keras model, monitored, evaluated and exported like every run.
"""

import math
from dataclasses import replace
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
from tfreid.training.run import FitPaths, execute_run, fit_resumable, standard_callbacks
from tfreid.training.triplet_config import TripletConfig


def _datasets(config: TripletConfig, data: dict[str, SplitArrays]):
    """(training stream from a start step, validation batches, steps per epoch)."""
    train, val = data["train"], data["validation"]
    if not config.uses_pk_batches():
        train_triplets = random_triplets(train.identities, config.num_triplets, config.seed)
        val_triplets = random_triplets(val.identities, max(256, config.num_triplets // 10),
                                       config.seed + 1)
        steps = math.ceil(len(train_triplets) / config.batch_size)

        def stream(start_step: int):
            return triplet_dataset(train.images, train_triplets, config.batch_size, config.seed,
                                   start_epoch=start_step // steps)

        validation = triplet_dataset(val.images, val_triplets, config.batch_size, config.seed,
                                     shuffle=False)
        return stream, validation.take(math.ceil(len(val_triplets) / config.batch_size)) \
            .cache(), steps
    k = config.samples_per_identity
    p = config.batch_size // k
    steps = math.ceil(config.num_triplets / config.batch_size)
    num_val_ids = len(set(val.identities.tolist()))
    val_batches = pk_dataset(val.images, val.identities, min(p, num_val_ids), k, config.seed + 1)

    def pk_stream(start_step: int):
        return pk_dataset(train.images, train.identities, p, k, config.seed, start_step)

    return pk_stream, val_batches.take(max(1, steps // 10)).cache(), steps


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
    data: dict[str, SplitArrays], paths: FitPaths, verbose: int,
) -> dict[str, list[float]]:
    """Train ``encoder`` (members of ``dims`` dims) with the run's loss; its history."""
    loss, model = _loss_and_model(config, encoder, data)
    if len(dims) > 1:
        loss = PerMemberLoss(loss, dims)
    model.compile(keras.optimizers.Adam(config.lr), loss=loss,
                  jit_compile=config.jit_compile())
    train, validation, steps = _datasets(config, data)
    callbacks, best = standard_callbacks(config, encoder, data, paths)
    return fit_resumable(model, train, steps, config.epochs, paths, callbacks, best,
                         validation, verbose)


def _member(config: TripletConfig, index: int, dim: int) -> keras.Model:
    return build_encoder(config.backbone, config.image_shape(), dim,
                         name=f"member{index}", **config.encoder_options())


def train_triplet(config: TripletConfig, verbose: int = 2) -> dict[str, Any]:
    """Run ``config`` end to end; return the results (also written to the run folder)."""
    dims = member_dims(config.embedding_dim, config.members, config.member_dim)
    prefix = "triplet" if len(dims) == 1 else f"ensemble{len(dims)}x{dims[0]}"
    objective = config.mining if config.loss == "triplet" else config.loss

    def train(run, data):
        if len(dims) == 1 or config.side_by_side:
            keras.utils.set_random_seed(config.seed)
            encoder = build_ensemble([_member(config, i, d) for i, d in enumerate(dims)])
            return encoder, fit_triplet_encoder(config, encoder, dims, data,
                                                FitPaths.of_run(run), verbose)
        members, history = [], {}
        for index, dim in enumerate(dims):
            member_config = replace(config, seed=config.seed + index, embedding_dim=dim,
                                    members=1, member_dim=None)
            keras.utils.set_random_seed(member_config.seed)
            members.append(_member(config, index, dim))
            member_history = fit_triplet_encoder(member_config, members[-1], [dim], data,
                                                 FitPaths.of_run(run, f"member{index}"), verbose)
            history.update({f"member{index}_{k}": v for k, v in member_history.items()})
        return build_ensemble(members), history

    return execute_run(config, "triplet", f"{prefix}-{objective}", train, lonely="skip")
