"""Any batch loss on identity-balanced P x K batches, with a miner, a distance and an XBM.

The losses of ``tfreid.catalog.BATCH_LOSSES`` (contrastive, cosine embedding,
cosine contrastive, triplet margin, N-pair, Lifted Structure, Multi-Similarity, Circle,
supervised contrastive; and with one weight per class, ``CLASS_WEIGHT_LOSSES``: ProxyNCA,
Proxy-Anchor, ArcFace, CosFace, circle-softmax) see P identities x K images per batch
(Hermans et al., 2017); ``miner`` picks pairs or triplets (``hard``: batch-hard, ``semihard``), a
``distance`` replaces the loss's own, ``memory_size`` > 0 adds a cross-batch
memory of that many past embeddings as extra keys. Defaults are paper 000's
setup: Adam 1e-3, batch 128, up to 100 epochs, patience 10; 79 steps per epoch
(10,000 triplets / 128, as the paper's epoch).
"""

from dataclasses import dataclass

import numpy as np

from tfreid.catalog import BATCH_LOSSES, CLASS_WEIGHT_LOSSES, DISTANCES, MINER_CHOICES
from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan


@dataclass
class BatchLossOptions:
    loss: str = option("triplet_margin", "batch loss", BATCH_LOSSES.names())
    miner: str = option("all", "all pairs / triplets, or mined ones", MINER_CHOICES)
    distance: str | None = option(None, "distance or similarity (default: the loss's own)",
                                  (None, *DISTANCES.names()))
    margin: float | None = option(None, "the loss's margin (default: its own)")
    samples_per_identity: int = option(4, "K of P x K batches", minimum=2)
    steps_per_epoch: int = option(79, "training batches per epoch", minimum=1)
    validation_steps: int = option(8, "validation batches per epoch", minimum=1)
    memory_size: int = option(0, "cross-batch memory rows (XBM); 0: none", minimum=0)


def make_batch_loss(options, embedding_dim: int, num_classes: int, seed: int):
    """The configured batch loss (margin and distance where given)."""
    settings = {"miner": options.miner}
    if options.distance is not None:
        settings["distance"] = options.distance
    if options.margin is not None:
        settings["margin"] = options.margin
    if options.loss in CLASS_WEIGHT_LOSSES:
        if options.miner != "all":
            raise ConfigError(f"{options.loss} takes no miner (it compares with its class "
                              "weights, not pairs)")
        if options.loss in ("proxy_nca", "identity_softmax") and options.margin is not None:
            raise ConfigError(f"{options.loss} takes no margin")
        settings = {k: v for k, v in settings.items() if k in ("distance", "margin")}
        return BATCH_LOSSES.get(options.loss)(num_classes, embedding_dim, seed=seed,
                                              **settings)
    try:
        return BATCH_LOSSES.get(options.loss)(**settings)
    except TypeError:
        raise ConfigError(f"loss {options.loss} takes no margin") from None


class BatchLossMethod(Method):
    """A batch loss on P x K batches (module docstring)."""

    name = "batch"
    description = "any batch loss on P x K batches, with a miner, a distance and an XBM"
    Options = BatchLossOptions
    defaults = {"epochs": 100, "batch_size": 128, "lr": 1e-3, "patience": 10}
    side_by_side = True
    takes_train_augment = True

    def run_prefix(self) -> str:
        return f"{self.options.loss}-{self.options.miner}"

    def check(self) -> None:
        super().check()
        if self.config.batch_size < 2 * self.options.samples_per_identity:
            raise ConfigError(f"P x K batches need K >= 2 and batch size >= 2 K, got K = "
                              f"{self.options.samples_per_identity}, batch size "
                              f"{self.config.batch_size}")
        if self.options.loss in CLASS_WEIGHT_LOSSES and self.config.members > 1:
            raise ConfigError(f"{self.options.loss} trains single encoders (its class weights "
                              "have one size)")

    def plan(self, encoder, data: dict) -> Plan:
        from tfreid.losses import CrossBatchMemory
        from tfreid.training.methods.sampling import augmented_images_callbacks, pk_streams

        options = self.options
        identities = np.unique(np.concatenate([data["train"].identities,
                                               data["validation"].identities]))

        def class_index(values: np.ndarray) -> np.ndarray:
            return np.searchsorted(identities, values).astype(np.int64)

        stream, validation = pk_streams(self.config, data, options.samples_per_identity,
                                        options.validation_steps, class_index)
        dim = int(encoder.output_shape[-1])
        loss, model = make_batch_loss(options, dim, len(identities), self.config.seed), encoder
        if hasattr(loss, "attach"):
            model = loss.attach(model)
        if options.memory_size:
            loss = CrossBatchMemory(loss, dim, options.memory_size)
            model = loss.attach(model)
        return Plan(model, loss, stream, options.steps_per_epoch, validation,
                    callbacks=augmented_images_callbacks(self.config, stream))
