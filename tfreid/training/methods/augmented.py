"""Anchor / augmented-positive training (paper 002, section 5.2) on re-id data.

Each batch holds B training images and, after them, their augmented copies
(``tfreid.data.views``): the augmented copy is a positive of its anchor, the
other images of the identity too. Any batch loss trains on it; paper 002
compared ``cosine_embedding`` (pairwise) with ``triplet_margin`` (triplet)
under ``none``, ``fer`` and ``simclr`` augmentation
(``tfreid.experiments.augmentation_study`` runs that study through this method).

By default validation identities are held out of training, monitored, and the
best epoch kept, as for every supervised method. ``validate=False`` trains as
002 did: on every training image (every class) for all the epochs, the last
epoch kept (``Method.holds_out_validation``).
"""

from dataclasses import dataclass

from tfreid.catalog import BATCH_LOSSES, CLASS_WEIGHT_LOSSES
from tfreid.data.names import AUGMENTATIONS
from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan

VIEW_LOSSES = tuple(n for n in BATCH_LOSSES.names() if n not in CLASS_WEIGHT_LOSSES)


@dataclass
class AugmentedOptions:
    loss: str = option("triplet_margin", "batch loss on the views", VIEW_LOSSES)
    augment: str = option("fer", "augmentation of the positive", AUGMENTATIONS)
    augment_anchor: bool = option(False, "augment the anchor too (SimCLR style)")
    margin: float | None = option(None, "the loss's margin (default: its own)")
    steps_per_epoch: int | None = option(None, "batches per epoch (default: training images "
                                         "// batch size)")
    validation_steps: int = option(8, "validation batches per epoch", minimum=1)
    validate: bool = option(True, "hold out validation identities (monitor, best epoch, "
                            "early stop); off: train on every image for all epochs, keep the "
                            "last (paper 002)")


class AugmentedMethod(Method):
    """Anchor / augmented-positive batches (module docstring)."""

    name = "augmented"
    description = "paper 002: anchors and their augmented copies, any batch loss"
    Options = AugmentedOptions
    defaults = {"batch_size": 64, "lr": 1e-3}
    side_by_side = True

    def holds_out_validation(self) -> bool:
        return self.options.validate

    def run_prefix(self) -> str:
        return f"augmented-{self.options.loss}-{self.options.augment}"

    def check(self) -> None:
        super().check()
        if self.options.steps_per_epoch is not None and self.options.steps_per_epoch < 1:
            raise ConfigError("steps per epoch must be >= 1")

    def plan(self, encoder, data: dict) -> Plan:
        from tfreid.data.views import anchor_positive_dataset

        options, config = self.options, self.config
        train, val = data["train"], data.get("validation")
        loss = BATCH_LOSSES.get(options.loss)(
            **({} if options.margin is None else {"margin": options.margin}))
        batch = min(config.batch_size, len(train))
        steps = options.steps_per_epoch or max(1, len(train) // batch)

        def stream(start_step: int):
            return anchor_positive_dataset(train.images, train.identities, options.augment,
                                           batch, config.seed, options.augment_anchor,
                                           start_step)

        if val is None:
            return Plan(encoder, loss, stream, steps)
        validation = anchor_positive_dataset(val.images, val.identities, options.augment,
                                             min(batch, len(val)), config.seed + 1,
                                             options.augment_anchor)
        return Plan(encoder, loss, stream, steps, validation.take(options.validation_steps)
                    .cache())
