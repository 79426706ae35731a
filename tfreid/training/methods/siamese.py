"""Siamese training (paper 004): a twin network on sampled pairs, or every pair of P x K batches.

* ``sampling="pairs"`` (004): balanced pairs, exactly half of the same identity;
  the twin network gives the pair distance (contrastive loss, eq. 1.1) and,
  with a merge head Dense(1)(|f(a) - f(b)|), a same-identity logit (binary
  verification loss).
* ``sampling="pk"``: identity-balanced P x K batches; the batch
  ``ContrastiveLoss`` uses every in-batch pair, or the pairs ``miner`` keeps
  (``hard``: each anchor's farthest positive and closest negative).

Defaults: P x K batches with the batch-hard miner for the contrastive loss
(sampled pairs for the binary and combined losses, which need the merge
head), Table I CNN at 64 px, margin 1.0 (004), Adam 3e-4, 60 steps of 64 per
epoch. Measured on the surface set (90 held-out identities, 2 CPU cores):
P x K with the hard miner reached rank-1 0.967 / mAP 0.911 in 64 s, every
in-batch pair 0.800 / 0.637 in 88 s, 004's sampled pairs 0.656 / 0.577 in
148 s. Adam 3e-4 beat paper 000's 1e-3 on sampled pairs (which overfits after
2 epochs); 004's 5e-5 is far too slow for a few-minute run.
"""

import math
from dataclasses import dataclass

from tfreid.catalog import MINER_CHOICES
from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan

SIAMESE_LOSSES = ("contrastive", "binary", "combined")
TARGETS = {"contrastive": ("distance",), "binary": ("logit",), "combined": ("distance", "logit")}


@dataclass
class SiameseOptions:
    loss: str = option("contrastive", "contrastive (distance, 004 eq. 1.1), binary (merge "
                       "head + sigmoid cross-entropy) or combined", SIAMESE_LOSSES)
    margin: float = option(1.0, "contrastive margin")
    sampling: str | None = option(None, "pairs: balanced sampled pairs (004); pk: the pairs of "
                                  "P x K batches (default: pk for the contrastive loss, pairs "
                                  "for binary and combined)", (None, "pairs", "pk"))
    miner: str = option("hard", "pair miner with P x K batches", MINER_CHOICES)
    samples_per_identity: int = option(4, "K of P x K batches (--sampling pk)", minimum=2)
    steps_per_epoch: int = option(60, "training batches per epoch", minimum=1)
    validation_steps: int = option(8, "validation batches per epoch", minimum=1)


class SiameseMethod(Method):
    """Paper 004's Siamese network (module docstring)."""

    name = "siamese"
    description = "Siamese twin network on sampled pairs or P x K batches (paper 004)"
    Options = SiameseOptions
    defaults = {"lr": 3e-4, "epochs": 25, "batch_size": 64}
    lonely = "error"
    takes_train_augment = True

    @property
    def sampling(self) -> str:
        """The batches: as asked, or P x K for the contrastive loss, pairs otherwise."""
        if self.options.sampling is not None:
            return self.options.sampling
        return "pk" if self.options.loss == "contrastive" else "pairs"

    def run_prefix(self) -> str:
        return f"siamese-{self.options.loss}" + "-pk" * (self.sampling == "pk")

    def check(self) -> None:
        super().check()
        if not (math.isfinite(self.options.margin) and self.options.margin > 0):
            raise ConfigError(f"margin must be finite and above 0, got {self.options.margin}")
        batch = self.config.batch_size
        if self.sampling == "pairs" and (batch < 2 or batch % 2):
            raise ConfigError(f"batch size must be even and >= 2, got {batch}")
        if self.sampling == "pk":
            if self.options.loss != "contrastive":
                raise ConfigError("--sampling pk trains the contrastive loss; the binary "
                                  "loss needs the merge head of sampled pairs")
            if batch < 2 * self.options.samples_per_identity:
                raise ConfigError(f"P x K batches need batch size >= 2 K, got {batch}")

    def plan(self, encoder, data: dict) -> Plan:
        if self.sampling == "pk":
            return self._pk_plan(encoder, data)
        from tfreid.backend import keras
        from tfreid.callbacks import PairImages
        from tfreid.data.pairs import pair_dataset
        from tfreid.losses import BinaryVerificationPairLoss, ContrastivePairLoss
        from tfreid.metrics.pair_accuracy import DistancePairAccuracy
        from tfreid.models import build_siamese
        from tfreid.training.methods.sampling import augmented_images_callbacks, augmented_stream

        options, config = self.options, self.config
        targets = TARGETS[options.loss]
        siamese = build_siamese(encoder, merge_head=options.loss != "contrastive")
        losses = {"distance": ContrastivePairLoss(options.margin),
                  "logit": BinaryVerificationPairLoss()}
        metrics = {"distance": [DistancePairAccuracy(options.margin / 2)],
                   "logit": [keras.metrics.BinaryAccuracy(name="pair_accuracy", threshold=0.0)]}
        validation = pair_dataset(data["validation"].images, data["validation"].identities,
                                  config.batch_size, config.seed + 1, targets)
        samples = next(iter(validation))

        def pairs(start_step: int):
            return pair_dataset(data["train"].images, data["train"].identities,
                                config.batch_size, config.seed, targets, start_step)

        stream = augmented_stream(config, pairs)
        return Plan(siamese, {t: losses[t] for t in targets}, stream, options.steps_per_epoch,
                    validation.take(options.validation_steps).cache(),
                    {t: metrics[t] for t in targets},
                    [lambda logdir: PairImages(str(logdir / "train"), samples),
                     *augmented_images_callbacks(config, stream)])

    def _pk_plan(self, encoder, data: dict) -> Plan:
        from tfreid.losses import ContrastiveLoss
        from tfreid.training.methods.sampling import augmented_images_callbacks, pk_streams

        stream, validation = pk_streams(self.config, data, self.options.samples_per_identity,
                                        self.options.validation_steps)
        loss = ContrastiveLoss(self.options.margin, miner=self.options.miner)
        return Plan(encoder, loss, stream, self.options.steps_per_epoch, validation,
                    callbacks=augmented_images_callbacks(self.config, stream))
